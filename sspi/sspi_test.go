package sspi_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/sspi"
)

// echoPackage is a tiny package for the tests: its context completes in one
// call by echoing the input token, and it can be told to panic.
type echoPackage struct {
	name string
}

type echoProvider struct {
	done      bool
	panicOn   string
	signature bool
}

func (p echoPackage) Info() sspi.PackageInfo {
	return sspi.PackageInfo{Name: p.name, Comment: "test package", Capabilities: sspi.SECPKG_FLAG_INTEGRITY, Version: 1, RPCID: 0xffff, MaxToken: 64}
}

func (echoPackage) AcquireCredentials(_ string, _ sspi.CredentialUse, authData any) (any, error) {
	if s, ok := authData.(string); ok && s == "refuse" {
		return nil, sspi.Errorf(sspi.SEC_E_UNKNOWN_CREDENTIALS, "echo: refused")
	}
	return authData, nil
}

func (echoPackage) NewContext(cred *sspi.Credentials, _ bool, _ string, _ uint32, _ []sspi.SecBuffer) (sspi.Provider, error) {
	panicOn, _ := cred.AuthData().(string)
	return &echoProvider{panicOn: panicOn}, nil
}

func (p *echoProvider) Handshake(input, output []sspi.SecBuffer, _ uint32) (sspi.Status, uint32, error) {
	if p.panicOn == "Handshake" {
		var m map[string]int
		m["boom"]++ // a nil-map write, as a package bug would be
	}
	if i := sspi.IndexOf(input, sspi.SECBUFFER_TOKEN); i >= 0 && len(output) > 0 {
		if err := sspi.PlaceOutput(&output[0], sspi.SECBUFFER_TOKEN, input[i].Buffer, false); err != nil {
			return sspi.StatusOf(err), 0, err
		}
	}
	p.done = true
	return sspi.SEC_E_OK, sspi.ISC_RET_INTEGRITY, nil
}

func (p *echoProvider) Established() bool            { return p.done }
func (p *echoProvider) DeleteSecurityContext() error { return nil }

func (p *echoProvider) MakeSignature(_ uint32, buffers []sspi.SecBuffer) (sspi.Status, error) {
	if p.panicOn == "MakeSignature" {
		var b []byte
		_ = b[7]
	}
	return sspi.SEC_E_OK, nil
}

func (p *echoProvider) VerifySignature([]sspi.SecBuffer) (uint32, sspi.Status, error) {
	return 0, sspi.SEC_E_OK, nil
}

func (p *echoProvider) QueryContextAttributes(attribute uint32) (any, error) {
	if attribute == sspi.SECPKG_ATTR_SIZES {
		return sspi.Sizes{MaxToken: 64, MaxSignature: 16, BlockSize: 1}, nil
	}
	return nil, sspi.Errorf(sspi.SEC_E_UNSUPPORTED_FUNCTION, "echo: no attribute %d", attribute)
}

func init() {
	sspi.Register(echoPackage{name: "Echo"}, "EchoAlias")
}

// established runs the one-call handshake of the echo package.
func established(t *testing.T, authData any) *sspi.Context {
	t.Helper()
	cred, err := sspi.AcquireCredentialsHandle("", "echo", sspi.SECPKG_CRED_OUTBOUND, authData)
	require.NoError(t, err)
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN, Buffer: make([]byte, 8)}}
	ctx, status, err := sspi.InitializeSecurityContext(cred, nil, "target", 0,
		[]sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, []byte("hi"))}, out)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_E_OK, status)
	assert.Equal(t, "hi", string(out[0].Buffer))
	return ctx
}

func TestPackageLookupIsCaseInsensitiveAndKnowsAliases(t *testing.T) {
	for _, name := range []string{"Echo", "ECHO", "echoalias"} {
		info, err := sspi.QuerySecurityPackageInfo(name)
		require.NoError(t, err, name)
		assert.Equal(t, uint32(64), info.MaxToken)
	}
	_, err := sspi.QuerySecurityPackageInfo("NoSuchPackage")
	assert.ErrorIs(t, err, sspi.SEC_E_SECPKG_NOT_FOUND)
	_, err = sspi.AcquireCredentialsHandle("", "NoSuchPackage", sspi.SECPKG_CRED_OUTBOUND, nil)
	assert.ErrorIs(t, err, sspi.SEC_E_SECPKG_NOT_FOUND)
}

func TestEnumerateSecurityPackagesListsEachName(t *testing.T) {
	infos, err := sspi.EnumerateSecurityPackages()
	require.NoError(t, err)
	var names []string
	for _, info := range infos {
		names = append(names, info.Name)
	}
	assert.Contains(t, names, "Echo")
	assert.Contains(t, names, "EchoAlias")
}

func TestRegisterTwicePanics(t *testing.T) {
	assert.Panics(t, func() { sspi.Register(echoPackage{name: "Echo"}) })
}

func TestCredentialRules(t *testing.T) {
	_, err := sspi.AcquireCredentialsHandle("", "Echo", 7, nil)
	assert.ErrorIs(t, err, sspi.SEC_E_UNSUPPORTED_FUNCTION)
	_, err = sspi.AcquireCredentialsHandle("", "Echo", sspi.SECPKG_CRED_OUTBOUND, "refuse")
	assert.ErrorIs(t, err, sspi.SEC_E_UNKNOWN_CREDENTIALS)

	inbound, err := sspi.AcquireCredentialsHandle("", "Echo", sspi.SECPKG_CRED_INBOUND, nil)
	require.NoError(t, err)
	_, status, err := sspi.InitializeSecurityContext(inbound, nil, "", 0, nil, nil)
	assert.Equal(t, sspi.SEC_E_NO_CREDENTIALS, status)
	assert.ErrorIs(t, err, sspi.SEC_E_NO_CREDENTIALS)

	both, err := sspi.AcquireCredentialsHandle("", "Echo", sspi.SECPKG_CRED_BOTH, nil)
	require.NoError(t, err)
	_, status, _ = sspi.AcceptSecurityContext(both, nil, nil, 0, nil)
	assert.Equal(t, sspi.SEC_E_OK, status)

	require.NoError(t, both.FreeCredentialsHandle())
	assert.ErrorIs(t, both.FreeCredentialsHandle(), sspi.SEC_E_INVALID_HANDLE)
	_, status, _ = sspi.AcceptSecurityContext(both, nil, nil, 0, nil)
	assert.Equal(t, sspi.SEC_E_INVALID_HANDLE, status)
}

func TestUnimplementedCallsAreUnsupportedFunction(t *testing.T) {
	ctx := established(t, nil)
	cases := map[string]func() (sspi.Status, error){
		"EncryptMessage": func() (sspi.Status, error) { return ctx.EncryptMessage(0, nil) },
		"DecryptMessage": func() (sspi.Status, error) {
			_, s, err := ctx.DecryptMessage(nil)
			return s, err
		},
		"CompleteAuthToken": func() (sspi.Status, error) { return ctx.CompleteAuthToken(nil) },
		"ApplyControlToken": func() (sspi.Status, error) { return ctx.ApplyControlToken(nil) },
		"SetContextAttributes": func() (sspi.Status, error) {
			err := ctx.SetContextAttributes(sspi.SECPKG_ATTR_SIZES, nil)
			return sspi.StatusOf(err), err
		},
	}
	for name, call := range cases {
		status, err := call()
		assert.Equal(t, sspi.SEC_E_UNSUPPORTED_FUNCTION, status, name)
		assert.ErrorContains(t, err, name)
	}
	// Implemented ones work.
	status, err := ctx.MakeSignature(0, nil)
	assert.NoError(t, err)
	assert.Equal(t, sspi.SEC_E_OK, status)
}

func TestQueryContextAttributesCommonAnswers(t *testing.T) {
	ctx := established(t, nil)
	v, err := ctx.QueryContextAttributes(sspi.SECPKG_ATTR_PACKAGE_INFO)
	require.NoError(t, err)
	assert.Equal(t, "Echo", v.(sspi.PackageInfo).Name)

	v, err = ctx.QueryContextAttributes(sspi.SECPKG_ATTR_NEGOTIATION_INFO)
	require.NoError(t, err)
	assert.Equal(t, uint32(sspi.SECPKG_NEGOTIATION_COMPLETE), v.(sspi.NegotiationInfo).NegotiationState)

	v, err = ctx.QueryContextAttributes(sspi.SECPKG_ATTR_FLAGS)
	require.NoError(t, err)
	assert.Equal(t, uint32(sspi.ISC_RET_INTEGRITY), v.(sspi.Flags).Flags)

	v, err = ctx.QueryContextAttributes(sspi.SECPKG_ATTR_SIZES)
	require.NoError(t, err)
	assert.Equal(t, uint32(16), v.(sspi.Sizes).MaxSignature)

	_, err = ctx.QueryContextAttributes(sspi.SECPKG_ATTR_SESSION_KEY)
	assert.ErrorIs(t, err, sspi.SEC_E_UNSUPPORTED_FUNCTION)
}

func TestDeletedContextIsInvalidHandle(t *testing.T) {
	ctx := established(t, nil)
	require.NoError(t, ctx.DeleteSecurityContext())
	_, err := ctx.MakeSignature(0, nil)
	assert.ErrorIs(t, err, sspi.SEC_E_INVALID_HANDLE)
	assert.ErrorIs(t, ctx.DeleteSecurityContext(), sspi.SEC_E_INVALID_HANDLE)
	var none *sspi.Context
	_, err = none.QueryContextAttributes(sspi.SECPKG_ATTR_FLAGS)
	assert.ErrorIs(t, err, sspi.SEC_E_INVALID_HANDLE)
}

// withContainment turns the re-panic switch off for one test.
func withContainment(t *testing.T) {
	t.Setenv(sspi.RepanicEnv, "")
}

func TestPanicCostsOneContextNotTheProcess(t *testing.T) {
	withContainment(t)
	var events []sspi.TraceEvent
	cred, err := sspi.AcquireCredentialsHandle("", "Echo", sspi.SECPKG_CRED_OUTBOUND, "MakeSignature")
	require.NoError(t, err)
	cred.SetTrace(func(e sspi.TraceEvent) { events = append(events, e) })
	ctx, status, err := sspi.InitializeSecurityContext(cred, nil, "", 0, nil, nil)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_E_OK, status)

	status, err = ctx.MakeSignature(0, nil)
	assert.Equal(t, sspi.SEC_E_INTERNAL_ERROR, status)
	var perr *sspi.PanicError
	require.ErrorAs(t, err, &perr)
	assert.Equal(t, "MakeSignature", perr.Func)
	assert.Contains(t, string(perr.Stack), "MakeSignature", "the stack names the failing call")

	// The context is dead afterwards; another context lives on.
	_, _, err = ctx.VerifySignature(nil)
	assert.ErrorIs(t, err, sspi.SEC_E_INTERNAL_ERROR)
	other := established(t, nil)
	_, err = other.MakeSignature(0, nil)
	assert.NoError(t, err)

	// The trace hook saw the panic with its stack.
	var sawStack bool
	for _, e := range events {
		if errors.As(e.Err, &perr) && len(perr.Stack) > 0 {
			sawStack = true
			assert.Equal(t, "Echo", e.Package)
		}
	}
	assert.True(t, sawStack, "trace events: %v", events)
}

func TestPanicInHandshakeIsContained(t *testing.T) {
	withContainment(t)
	cred, err := sspi.AcquireCredentialsHandle("", "Echo", sspi.SECPKG_CRED_OUTBOUND, "Handshake")
	require.NoError(t, err)
	ctx, status, err := sspi.InitializeSecurityContext(cred, nil, "", 0, nil, nil)
	assert.Equal(t, sspi.SEC_E_INTERNAL_ERROR, status)
	assert.ErrorContains(t, err, "assignment to entry in nil map")
	_, status, _ = sspi.InitializeSecurityContext(cred, ctx, "", 0, nil, nil)
	assert.Equal(t, sspi.SEC_E_INTERNAL_ERROR, status, "a context that panicked stays dead")
}

func TestRepanicSwitch(t *testing.T) {
	t.Setenv(sspi.RepanicEnv, "1")
	cred, err := sspi.AcquireCredentialsHandle("", "Echo", sspi.SECPKG_CRED_OUTBOUND, "MakeSignature")
	require.NoError(t, err)
	ctx, _, err := sspi.InitializeSecurityContext(cred, nil, "", 0, nil, nil)
	require.NoError(t, err)
	assert.Panics(t, func() { _, _ = ctx.MakeSignature(0, nil) })
}

func TestTraceLogsEveryCallTheSameWay(t *testing.T) {
	var lines []string
	cred, err := sspi.AcquireCredentialsHandle("", "Echo", sspi.SECPKG_CRED_OUTBOUND, nil)
	require.NoError(t, err)
	cred.SetTrace(func(e sspi.TraceEvent) { lines = append(lines, e.String()) })
	out := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 1))}
	_, status, err := sspi.InitializeSecurityContext(cred, nil, "", 0,
		[]sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, []byte("too long"))}, out)
	assert.Equal(t, sspi.SEC_E_BUFFER_TOO_SMALL, status)
	assert.Error(t, err)
	require.Len(t, lines, 1)
	assert.True(t, strings.HasPrefix(lines[0], "Echo: InitializeSecurityContext -> SEC_E_BUFFER_TOO_SMALL  in:[TOKEN(8)] out:[TOKEN(1)]"), lines[0])
}

func TestPlaceOutput(t *testing.T) {
	b := sspi.SecBuffer{BufferType: sspi.SECBUFFER_TOKEN}
	assert.ErrorIs(t, sspi.PlaceOutput(&b, sspi.SECBUFFER_TOKEN, []byte("x"), false), sspi.SEC_E_INSUFFICIENT_MEMORY)
	b.Buffer = make([]byte, 4)
	require.NoError(t, sspi.PlaceOutput(&b, sspi.SECBUFFER_TOKEN, []byte("abc"), false))
	assert.Equal(t, 3, b.Size)
	require.NoError(t, sspi.PlaceOutput(&b, sspi.SECBUFFER_ALERT, []byte("allocated"), true))
	assert.Equal(t, sspi.SECBUFFER_ALERT, b.BufferType)
	assert.Equal(t, "allocated", string(b.Buffer))
}

func TestMain(m *testing.M) {
	// Tests run with panic containment off, so no bug hides behind a status;
	// the containment tests turn it back on for themselves.
	os.Setenv(sspi.RepanicEnv, "1")
	os.Exit(m.Run())
}
