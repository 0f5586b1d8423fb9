package schannel

import (
	"bytes"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"unsafe"

	"github.com/gosspi/schannel/internal/winapi"
	"github.com/gosspi/schannel/sspi"
)

// NativeCredentialOptions configures AcquireNativeCredentialsHandle: the
// SCHANNEL_CRED (or SCH_CREDENTIALS) handed to secur32.dll on Windows.
type NativeCredentialOptions struct {
	// MinVersion and MaxVersion (tls.VersionTLS12, tls.VersionTLS13) become
	// the enabled protocol bits; zero leaves the choice to the system.
	MinVersion, MaxVersion uint16
	// ManualCredValidation sets SCH_CRED_MANUAL_CRED_VALIDATION: Schannel
	// does not verify the server certificate, the caller does (see
	// Context.RemoteCertificate). Pair it with ISC_REQ_MANUAL_CRED_VALIDATION.
	ManualCredValidation bool
	// NoDefaultCreds sets SCH_CRED_NO_DEFAULT_CREDS: a client never picks a
	// certificate by itself.
	NoDefaultCreds bool
	// StrongCrypto sets SCH_USE_STRONG_CRYPTO.
	StrongCrypto bool
	// CertStore names a system certificate store ("MY") holding the
	// certificate (with its private key) to present: the client certificate
	// of SECPKG_CRED_OUTBOUND credentials, the server certificate of
	// SECPKG_CRED_INBOUND ones (which need one). It is chosen by SHA-1
	// Thumbprint when set, else by a Subject substring.
	CertStore  string
	Thumbprint []byte
	Subject    string
}

// secEUnknownCredentials is SEC_E_UNKNOWN_CREDENTIALS.
const secEUnknownCredentials = sspi.SEC_E_UNKNOWN_CREDENTIALS

// nativeSchannelPackage is Schannel on secur32.dll: its credentials hold a
// *nativeCred, acquired by AcquireNativeCredentialsHandle.
type nativeSchannelPackage struct{}

func (nativeSchannelPackage) Info() sspi.PackageInfo { return packageInfo }

func (nativeSchannelPackage) AcquireCredentials(_ string, _ sspi.CredentialUse, authData any) (any, error) {
	nc, ok := authData.(*nativeCred)
	if !ok {
		return nil, sspi.Errorf(secEUnknownCredentials, "schannel: native credentials come from AcquireNativeCredentialsHandle")
	}
	return nc, nil
}

func (nativeSchannelPackage) NewContext(cred *sspi.Credentials, server bool, targetName string, _ uint32, _ []SecBuffer) (sspi.Provider, error) {
	nc := cred.AuthData().(*nativeCred)
	return &nativeProvider{NativeContext: sspi.NewNativeContext(nc.handle, server, targetName)}, nil
}

// nativeCred is a secur32 Schannel credential handle and the structure
// secur32 accepted for it.
type nativeCred struct {
	handle *sspi.NativeCredential
	// version is the structure secur32 accepted: 5 (SCH_CREDENTIALS) or 4
	// (SCHANNEL_CRED, the only one Wine knows).
	version uint32
}

// schannelAuthData is a SCH_CREDENTIALS or SCHANNEL_CRED for
// sspi.AcquireNativeCredential.
type schannelAuthData struct {
	v5 *winapi.SchCredentials
	v4 *winapi.SchannelCred
}

func (a schannelAuthData) AuthDataPointer(pin *runtime.Pinner) (unsafe.Pointer, error) {
	if a.v5 != nil {
		pin.Pin(a.v5)
		if a.v5.TLSParameters != nil {
			pin.Pin(a.v5.TLSParameters)
		}
		return unsafe.Pointer(a.v5), nil
	}
	pin.Pin(a.v4)
	return unsafe.Pointer(a.v4), nil
}

// AcquireNativeCredentialsHandle returns credentials whose contexts run on
// Windows' own Schannel: AcquireCredentialsHandleW(UNISP_NAME) with
// SCH_CREDENTIALS (version 5), or SCHANNEL_CRED (version 4) when the system
// does not know version 5. The contexts made from them are driven with the
// same calls as the pure-Go ones; statuses are the ones secur32.dll returns.
// sspi.AcquireNativeCredentialsHandle reaches the other installed packages
// (Kerberos, Negotiate, NTLM, WDigest).
//
// The secur32 handle is released when the Credentials and every context made
// from them are garbage (FreeCredentialsHandle on the returned value only
// stops new contexts from being made, as for the Go package).
func AcquireNativeCredentialsHandle(use CredentialUse, opts NativeCredentialOptions) (*Credentials, error) {
	if use != SECPKG_CRED_INBOUND && use != SECPKG_CRED_OUTBOUND {
		return nil, sspi.Errorf(SEC_E_UNSUPPORTED_FUNCTION, "schannel: credential use %d is neither SECPKG_CRED_INBOUND nor SECPKG_CRED_OUTBOUND", use)
	}
	if err := winapi.Available(); err != nil {
		return nil, sspi.Errorf(SEC_E_UNSUPPORTED_FUNCTION, "schannel: secur32.dll: %v", err)
	}
	server := use == SECPKG_CRED_INBOUND
	protocols, err := nativeProtocols(opts.MinVersion, opts.MaxVersion, server)
	if err != nil {
		return nil, err
	}
	var flags uint32
	if opts.ManualCredValidation {
		flags |= winapi.SCH_CRED_MANUAL_CRED_VALIDATION
	}
	if opts.NoDefaultCreds {
		flags |= winapi.SCH_CRED_NO_DEFAULT_CREDS
	}
	if opts.StrongCrypto {
		flags |= winapi.SCH_USE_STRONG_CRYPTO
	}
	var cert *winapi.CertContext
	if opts.CertStore != "" || opts.Thumbprint != nil || opts.Subject != "" {
		cert, err = findNativeCertificate(opts)
		if err != nil {
			return nil, err
		}
		defer winapi.CertFreeCertificateContext(cert)
	} else if server {
		return nil, sspi.Errorf(SEC_E_NO_CREDENTIALS, "schannel: SECPKG_CRED_INBOUND credentials need a server certificate (NativeCredentialOptions.CertStore)")
	}

	var pin runtime.Pinner
	defer pin.Unpin()
	var certs **winapi.CertContext
	var count uint32
	if cert != nil {
		arr := []*winapi.CertContext{cert}
		pin.Pin(&arr[0])
		certs, count = &arr[0], 1
	}

	// SCH_CREDENTIALS: protocols are given as the ones disabled.
	params := &winapi.TLSParameters{}
	if protocols != 0 {
		params.DisabledProtocols = ^protocols & nativeAllProtocols(server)
	}
	v5 := &winapi.SchCredentials{Version: winapi.SCH_CREDENTIALS_VERSION, CredCount: count, Creds: certs,
		Flags: flags, TLSParameterCount: 1, TLSParameters: params}
	nc := &nativeCred{version: winapi.SCH_CREDENTIALS_VERSION}
	nc.handle, err = sspi.AcquireNativeCredential("", winapi.UNISP_NAME, use, schannelAuthData{v5: v5})
	if err != nil {
		first := sspi.StatusOf(err)
		v4 := &winapi.SchannelCred{Version: winapi.SCHANNEL_CRED_VERSION, CredCount: count, Creds: certs,
			EnabledProtocols: protocols, Flags: flags}
		nc.version = winapi.SCHANNEL_CRED_VERSION
		nc.handle, err = sspi.AcquireNativeCredential("", winapi.UNISP_NAME, use, schannelAuthData{v4: v4})
		if err != nil {
			return nil, sspi.Errorf(sspi.StatusOf(err), "schannel: AcquireCredentialsHandleW(%s) refused SCH_CREDENTIALS (%v) and SCHANNEL_CRED", winapi.UNISP_NAME, first)
		}
	}
	return sspi.NewCredentials(nativeSchannelPackage{}, packageInfo, "", use, nc)
}

// nativeSchannelVersion reports which credential structure secur32 accepted
// for credentials from AcquireNativeCredentialsHandle (0 for others).
func nativeSchannelVersion(c *Credentials) uint32 {
	if nc, ok := c.AuthData().(*nativeCred); ok {
		return nc.version
	}
	return 0
}

func nativeAllProtocols(server bool) uint32 {
	if server {
		return 0x40 | 0x100 | SP_PROT_TLS1_2_SERVER | SP_PROT_TLS1_3_SERVER
	}
	return 0x80 | 0x200 | SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_3_CLIENT
}

// nativeProtocols gives grbitEnabledProtocols for a version range; 0 lets
// the system choose.
func nativeProtocols(minV, maxV uint16, server bool) (uint32, error) {
	if minV == 0 && maxV == 0 {
		return 0, nil
	}
	if minV == 0 {
		minV = tls.VersionTLS12
	}
	if maxV == 0 {
		maxV = tls.VersionTLS13
	}
	var bits uint32
	for v := minV; v <= maxV && v <= tls.VersionTLS13; v++ {
		switch v {
		case tls.VersionTLS10:
			bits |= 0x80
		case tls.VersionTLS11:
			bits |= 0x200
		case tls.VersionTLS12:
			bits |= SP_PROT_TLS1_2_CLIENT
		case tls.VersionTLS13:
			bits |= SP_PROT_TLS1_3_CLIENT
		}
	}
	if bits == 0 {
		return 0, sspi.Errorf(SEC_E_ALGORITHM_MISMATCH, "schannel: no protocol between versions %#x and %#x", minV, maxV)
	}
	if server {
		bits >>= 1 // each *_SERVER bit is the *_CLIENT bit shifted right
	}
	return bits, nil
}

// findNativeCertificate looks the certificate up in a system store by SHA-1
// thumbprint or subject substring.
func findNativeCertificate(opts NativeCredentialOptions) (*winapi.CertContext, error) {
	storeName := opts.CertStore
	if storeName == "" {
		storeName = "MY"
	}
	if opts.Thumbprint == nil && opts.Subject == "" {
		return nil, sspi.Errorf(SEC_E_NO_CREDENTIALS, "schannel: certificate store %q given without Thumbprint or Subject", storeName)
	}
	if opts.Thumbprint != nil && len(opts.Thumbprint) != sha1.Size {
		return nil, sspi.Errorf(SEC_E_NO_CREDENTIALS, "schannel: a SHA-1 thumbprint is %d bytes, not %d", sha1.Size, len(opts.Thumbprint))
	}
	store, err := winapi.CertOpenSystemStore(storeName)
	if store == 0 {
		return nil, sspi.Errorf(SEC_E_NO_CREDENTIALS, "schannel: CertOpenSystemStoreW(%q): %v", storeName, err)
	}
	defer winapi.CertCloseStore(store)
	var cert *winapi.CertContext
	if opts.Thumbprint != nil {
		hash := append([]byte(nil), opts.Thumbprint...)
		blob := &winapi.CryptHashBlob{Size: uint32(len(hash)), Data: &hash[0]}
		var pin runtime.Pinner
		pin.Pin(&hash[0])
		cert = winapi.CertFindCertificateInStore(store, winapi.CERT_FIND_SHA1_HASH, unsafe.Pointer(blob), nil)
		pin.Unpin()
		if cert == nil {
			return nil, sspi.Errorf(SEC_E_NO_CREDENTIALS, "schannel: no certificate with thumbprint %X in store %q", opts.Thumbprint, storeName)
		}
	} else {
		subject, err := syscall.UTF16PtrFromString(opts.Subject)
		if err != nil {
			return nil, sspi.Errorf(SEC_E_NO_CREDENTIALS, "schannel: subject %q: %v", opts.Subject, err)
		}
		cert = winapi.CertFindCertificateInStore(store, winapi.CERT_FIND_SUBJECT_STR_W, unsafe.Pointer(subject), nil)
		if cert == nil {
			return nil, sspi.Errorf(SEC_E_NO_CREDENTIALS, "schannel: no certificate whose subject contains %q in store %q", opts.Subject, storeName)
		}
	}
	// The context outlives the store handle: closing the store without
	// CERT_CLOSE_STORE_FORCE_FLAG keeps it until the context is freed.
	return cert, nil
}

// nativeProvider drives one secur32 Schannel context: the SSPI calls are
// sspi.NativeContext's; the TLS queries below read Schannel's attributes.
type nativeProvider struct {
	*sspi.NativeContext
}

func (p *nativeProvider) query(attribute uint32, buf unsafe.Pointer, name string) error {
	st := Status(winapi.QueryContextAttributes(p.Handle(), attribute, buf))
	if st.Failed() {
		return &Error{Status: st, Alert: -1, Err: fmt.Errorf("secur32: QueryContextAttributesW(%s) failed", name)}
	}
	return nil
}

func (p *nativeProvider) streamSizes() (StreamSizes, error) {
	var s winapi.StreamSizes
	if err := p.query(SECPKG_ATTR_STREAM_SIZES, unsafe.Pointer(&s), "SECPKG_ATTR_STREAM_SIZES"); err != nil {
		return StreamSizes{}, err
	}
	return StreamSizes{Header: int(s.Header), Trailer: int(s.Trailer), MaximumMessage: int(s.MaximumMessage),
		Buffers: int(s.Buffers), BlockSize: int(s.BlockSize)}, nil
}

// connectionInfo fills Protocol and Version from SECPKG_ATTR_CONNECTION_INFO
// and CipherSuite from SECPKG_ATTR_CIPHER_INFO when the system supports it
// (Windows does; Wine 8.0 may not, leaving it 0). KeyExchangeGroup,
// SignatureScheme and Resumed are not reported by these attributes and stay
// zero; ServerName is the target name given to InitializeSecurityContext.
func (p *nativeProvider) connectionInfo() (ConnectionInfo, error) {
	var ci winapi.ConnectionInfo
	if err := p.query(SECPKG_ATTR_CONNECTION_INFO, unsafe.Pointer(&ci), "SECPKG_ATTR_CONNECTION_INFO"); err != nil {
		return ConnectionInfo{}, err
	}
	info := ConnectionInfo{Protocol: ci.Protocol, Version: nativeVersion(ci.Protocol), ServerName: p.Target()}
	cipher := &winapi.CipherInfo{Version: winapi.SECPKGCONTEXT_CIPHERINFO}
	if p.query(SECPKG_ATTR_CIPHER_INFO, unsafe.Pointer(cipher), "SECPKG_ATTR_CIPHER_INFO") == nil {
		info.CipherSuite = uint16(cipher.CipherSuite)
		info.CipherSuiteName = tls.CipherSuiteName(info.CipherSuite)
		if strings.HasPrefix(info.CipherSuiteName, "0x") {
			info.CipherSuiteName = syscall.UTF16ToString(cipher.CipherSuiteName[:])
		}
	}
	return info, nil
}

func nativeVersion(protocol uint32) uint16 {
	switch {
	case protocol&(SP_PROT_TLS1_3_CLIENT|SP_PROT_TLS1_3_SERVER) != 0:
		return tls.VersionTLS13
	case protocol&(SP_PROT_TLS1_2_CLIENT|SP_PROT_TLS1_2_SERVER) != 0:
		return tls.VersionTLS12
	case protocol&0x300 != 0:
		return tls.VersionTLS11
	case protocol&0xc0 != 0:
		return tls.VersionTLS10
	}
	return 0
}

// remoteCertificate returns the leaf from SECPKG_ATTR_REMOTE_CERT_CONTEXT,
// then the other certificates of the context's store (the chain the peer
// sent, in the store's order).
func (p *nativeProvider) remoteCertificate() ([]*x509.Certificate, error) {
	var leaf *winapi.CertContext
	st := Status(winapi.QueryContextAttributes(p.Handle(), SECPKG_ATTR_REMOTE_CERT_CONTEXT, unsafe.Pointer(&leaf)))
	if st.Failed() || leaf == nil {
		if st == SEC_E_NO_CREDENTIALS {
			return nil, nil // the peer sent no certificate
		}
		return nil, &Error{Status: st, Alert: -1, Err: fmt.Errorf("secur32: QueryContextAttributesW(SECPKG_ATTR_REMOTE_CERT_CONTEXT) failed")}
	}
	defer winapi.CertFreeCertificateContext(leaf)
	der := leaf.Bytes()
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, sspi.Errorf(SEC_E_CERT_UNKNOWN, "schannel: the peer certificate: %v", err)
	}
	chain := []*x509.Certificate{cert}
	if leaf.Store != 0 {
		for c := winapi.CertEnumCertificatesInStore(leaf.Store, nil); c != nil; c = winapi.CertEnumCertificatesInStore(leaf.Store, c) {
			other := c.Bytes()
			if bytes.Equal(other, der) {
				continue
			}
			if parsed, err := x509.ParseCertificate(other); err == nil {
				chain = append(chain, parsed)
			}
		}
	}
	return chain, nil
}

// secApplicationProtocolNegotiationStatusSuccess is
// SecApplicationProtocolNegotiationStatus_Success.
const secApplicationProtocolNegotiationStatusSuccess = 1

func (p *nativeProvider) applicationProtocol() (string, error) {
	var ap winapi.ApplicationProtocol
	if err := p.query(SECPKG_ATTR_APPLICATION_PROTOCOL, unsafe.Pointer(&ap), "SECPKG_ATTR_APPLICATION_PROTOCOL"); err != nil {
		return "", err
	}
	if ap.NegotiationStatus != secApplicationProtocolNegotiationStatusSuccess {
		return "", nil
	}
	return string(ap.ID[:ap.IDSize]), nil
}

// connectionState is built from the attributes above; VerifiedChains and
// DidResume are never set (Schannel does not report them).
func (p *nativeProvider) connectionState() tls.ConnectionState {
	info, _ := p.connectionInfo()
	alpn, _ := p.applicationProtocol()
	peers, _ := p.remoteCertificate()
	return tls.ConnectionState{
		Version:            info.Version,
		HandshakeComplete:  true,
		CipherSuite:        info.CipherSuite,
		NegotiatedProtocol: alpn,
		ServerName:         info.ServerName,
		PeerCertificates:   peers,
	}
}

func (p *nativeProvider) setKeyingMaterialInfo(info KeyingMaterialInfo) error {
	label := append([]byte(info.Label), 0)
	w := winapi.KeyingMaterialInfo{LabelLen: uint16(len(label)), Label: &label[0], ContextLen: uint16(len(info.Context)),
		KeyingMaterialLen: uint32(info.Length)}
	if len(info.Context) > 0 {
		w.Context = &info.Context[0]
	}
	st := Status(winapi.SetContextAttributes(p.Handle(), SECPKG_ATTR_KEYING_MATERIAL_INFO, unsafe.Pointer(&w), uint32(unsafe.Sizeof(w))))
	runtime.KeepAlive(label)
	runtime.KeepAlive(info.Context)
	if st.Failed() {
		return &Error{Status: st, Alert: -1, Err: fmt.Errorf("secur32: SetContextAttributesW(SECPKG_ATTR_KEYING_MATERIAL_INFO) failed")}
	}
	return nil
}

func (p *nativeProvider) keyingMaterial() ([]byte, error) {
	var km winapi.KeyingMaterial
	if err := p.query(SECPKG_ATTR_KEYING_MATERIAL, unsafe.Pointer(&km), "SECPKG_ATTR_KEYING_MATERIAL"); err != nil {
		return nil, err
	}
	if km.KeyingMaterial == nil {
		return nil, nil
	}
	defer winapi.FreeContextBuffer(km.KeyingMaterial)
	return bytes.Clone(unsafe.Slice(km.KeyingMaterial, km.KeyingMaterialLen)), nil
}

func (p *nativeProvider) channelBindings(attribute uint32) ([]byte, error) {
	var b winapi.Bindings
	if err := p.query(attribute, unsafe.Pointer(&b), fmt.Sprintf("attribute %d", attribute)); err != nil {
		return nil, err
	}
	if b.Bindings == nil {
		return nil, nil
	}
	defer winapi.FreeContextBuffer(b.Bindings)
	return bytes.Clone(unsafe.Slice(b.Bindings, b.BindingsLength)), nil
}

func (p *nativeProvider) keyUpdate(bool) ([]byte, error) {
	return nil, sspi.Errorf(SEC_E_UNSUPPORTED_FUNCTION, "schannel: secur32.dll has no KeyUpdate call")
}

func (p *nativeProvider) keyUpdateDue() bool { return false }

// QueryContextAttributes answers Schannel's attributes, then the
// package-neutral ones, from secur32.
func (p *nativeProvider) QueryContextAttributes(attribute uint32) (any, error) {
	v, err := queryTLS(p, attribute)
	if sspi.StatusOf(err) == SEC_E_UNSUPPORTED_FUNCTION {
		return p.NativeContext.QueryContextAttributes(attribute)
	}
	return v, err
}

// SetContextAttributes takes Schannel's settable attributes.
func (p *nativeProvider) SetContextAttributes(attribute uint32, value any) error {
	return setTLSAttribute(p, attribute, value)
}

var _ tlsProvider = (*nativeProvider)(nil)
