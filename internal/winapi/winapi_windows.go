package winapi

import (
	"syscall"
	"unsafe"
)

var (
	secur32 = syscall.NewLazyDLL("secur32.dll")
	crypt32 = syscall.NewLazyDLL("crypt32.dll")

	procAcquireCredentialsHandleW   = secur32.NewProc("AcquireCredentialsHandleW")
	procFreeCredentialsHandle       = secur32.NewProc("FreeCredentialsHandle")
	procInitializeSecurityContextW  = secur32.NewProc("InitializeSecurityContextW")
	procAcceptSecurityContext       = secur32.NewProc("AcceptSecurityContext")
	procDeleteSecurityContext       = secur32.NewProc("DeleteSecurityContext")
	procEncryptMessage              = secur32.NewProc("EncryptMessage")
	procDecryptMessage              = secur32.NewProc("DecryptMessage")
	procApplyControlToken           = secur32.NewProc("ApplyControlToken")
	procQueryContextAttributesW     = secur32.NewProc("QueryContextAttributesW")
	procFreeContextBuffer           = secur32.NewProc("FreeContextBuffer")
	procSetContextAttributesW       = secur32.NewProc("SetContextAttributesW")
	procCertOpenSystemStoreW        = crypt32.NewProc("CertOpenSystemStoreW")
	procCertCloseStore              = crypt32.NewProc("CertCloseStore")
	procCertFindCertificateInStore  = crypt32.NewProc("CertFindCertificateInStore")
	procCertFreeCertificateContext  = crypt32.NewProc("CertFreeCertificateContext")
	procCertEnumCertificatesInStore = crypt32.NewProc("CertEnumCertificatesInStore")
)

// UNISP_NAME is the name of the Schannel security package.
const UNISP_NAME = "Microsoft Unified Security Protocol Provider"

// Structure versions and flags of SCHANNEL_CRED / SCH_CREDENTIALS.
const (
	SCHANNEL_CRED_VERSION           = 4
	SCH_CREDENTIALS_VERSION         = 5
	SCH_CRED_NO_SERVERNAME_CHECK    = 0x00000004
	SCH_CRED_MANUAL_CRED_VALIDATION = 0x00000008
	SCH_CRED_NO_DEFAULT_CREDS       = 0x00000010
	SCH_CRED_AUTO_CRED_VALIDATION   = 0x00000020
	SCH_USE_STRONG_CRYPTO           = 0x00400000
	SECBUFFER_VERSION               = 0
	SECURITY_NATIVE_DREP            = 0x10

	X509_ASN_ENCODING        = 0x00000001
	PKCS_7_ASN_ENCODING      = 0x00010000
	CERT_FIND_SHA1_HASH      = 0x00010000
	CERT_FIND_SUBJECT_STR_W  = 0x00080007
	SECPKGCONTEXT_CIPHERINFO = 1
)

// SecHandle is CredHandle and CtxtHandle.
type SecHandle struct {
	Lower, Upper uintptr
}

// IsZero reports whether the handle was never set.
func (h *SecHandle) IsZero() bool { return h.Lower == 0 && h.Upper == 0 }

// SecBuffer is the Windows SecBuffer.
type SecBuffer struct {
	Size   uint32
	Type   uint32
	Buffer *byte
}

// SecBufferDesc is the Windows SecBufferDesc.
type SecBufferDesc struct {
	Version uint32
	Count   uint32
	Buffers *SecBuffer
}

// SchannelCred is SCHANNEL_CRED (version 4).
type SchannelCred struct {
	Version               uint32
	CredCount             uint32
	Creds                 **CertContext
	RootStore             uintptr
	MapperCount           uint32
	Mappers               uintptr
	SupportedAlgCount     uint32
	SupportedAlgs         *uint32
	EnabledProtocols      uint32
	MinimumCipherStrength uint32
	MaximumCipherStrength uint32
	SessionLifespan       uint32
	Flags                 uint32
	CredFormat            uint32
}

// SchCredentials is SCH_CREDENTIALS (version 5).
type SchCredentials struct {
	Version           uint32
	CredFormat        uint32
	CredCount         uint32
	Creds             **CertContext
	RootStore         uintptr
	MapperCount       uint32
	Mappers           uintptr
	SessionLifespan   uint32
	Flags             uint32
	TLSParameterCount uint32
	TLSParameters     *TLSParameters
}

// TLSParameters is TLS_PARAMETERS.
type TLSParameters struct {
	AlpnIDCount         uint32
	AlpnIDs             uintptr
	DisabledProtocols   uint32
	DisabledCryptoCount uint32
	DisabledCrypto      uintptr
	Flags               uint32
}

// CertContext is CERT_CONTEXT.
type CertContext struct {
	EncodingType uint32
	Encoded      *byte
	Length       uint32
	CertInfo     uintptr
	Store        uintptr
}

// CryptHashBlob is CRYPT_HASH_BLOB.
type CryptHashBlob struct {
	Size uint32
	Data *byte
}

// StreamSizes is SecPkgContext_StreamSizes.
type StreamSizes struct {
	Header, Trailer, MaximumMessage, Buffers, BlockSize uint32
}

// ConnectionInfo is SecPkgContext_ConnectionInfo.
type ConnectionInfo struct {
	Protocol, Cipher, CipherStrength, Hash, HashStrength, Exchange, ExchangeStrength uint32
}

// CipherInfo is SecPkgContext_CipherInfo.
type CipherInfo struct {
	Version         uint32
	Protocol        uint32
	CipherSuite     uint32
	BaseCipherSuite uint32
	CipherSuiteName [64]uint16
	Cipher          [64]uint16
	CipherLen       uint32
	CipherBlockLen  uint32
	Hash            [64]uint16
	HashLen         uint32
	Exchange        [64]uint16
	MinExchangeLen  uint32
	MaxExchangeLen  uint32
	Certificate     [64]uint16
	KeyType         uint32
}

// ApplicationProtocol is SecPkgContext_ApplicationProtocol.
type ApplicationProtocol struct {
	NegotiationStatus uint32
	NegotiationExt    uint32
	IDSize            uint8
	ID                [255]byte
}

// Bindings is SecPkgContext_Bindings: a SEC_CHANNEL_BINDINGS structure of
// BindingsLength bytes, freed with FreeContextBuffer.
type Bindings struct {
	BindingsLength uint32
	Bindings       *byte
}

// KeyingMaterialInfo is SecPkgContext_KeyingMaterialInfo; Label is
// NUL-terminated and LabelLen counts the NUL.
type KeyingMaterialInfo struct {
	LabelLen          uint16
	Label             *byte
	ContextLen        uint16
	Context           *byte
	KeyingMaterialLen uint32
}

// KeyingMaterial is SecPkgContext_KeyingMaterial, freed with FreeContextBuffer.
type KeyingMaterial struct {
	KeyingMaterialLen uint32
	KeyingMaterial    *byte
}

func status(r uintptr) uint32 { return uint32(r) }

// SetContextAttributes calls SetContextAttributesW.
func SetContextAttributes(ctx *SecHandle, attribute uint32, buf unsafe.Pointer, size uint32) uint32 {
	r, _, _ := procSetContextAttributesW.Call(uintptr(unsafe.Pointer(ctx)), uintptr(attribute), uintptr(buf), uintptr(size))
	return status(r)
}

// Available reports whether secur32.dll and its Schannel entry points load.
func Available() error {
	if err := secur32.Load(); err != nil {
		return err
	}
	return procInitializeSecurityContextW.Find()
}

// AcquireCredentialsHandle calls AcquireCredentialsHandleW for UNISP_NAME
// with authData (a *SchannelCred or *SchCredentials).
func AcquireCredentialsHandle(use uint32, authData unsafe.Pointer, cred *SecHandle, expiry *int64) uint32 {
	pkg, _ := syscall.UTF16PtrFromString(UNISP_NAME)
	r, _, _ := procAcquireCredentialsHandleW.Call(0, uintptr(unsafe.Pointer(pkg)), uintptr(use), 0,
		uintptr(authData), 0, 0, uintptr(unsafe.Pointer(cred)), uintptr(unsafe.Pointer(expiry)))
	return status(r)
}

// FreeCredentialsHandle calls FreeCredentialsHandle.
func FreeCredentialsHandle(cred *SecHandle) uint32 {
	r, _, _ := procFreeCredentialsHandle.Call(uintptr(unsafe.Pointer(cred)))
	return status(r)
}

// InitializeSecurityContext calls InitializeSecurityContextW. ctx is nil on
// the first call; target may be nil.
func InitializeSecurityContext(cred, ctx *SecHandle, target *uint16, req uint32, input *SecBufferDesc, newCtx *SecHandle, output *SecBufferDesc, attrs *uint32, expiry *int64) uint32 {
	r, _, _ := procInitializeSecurityContextW.Call(uintptr(unsafe.Pointer(cred)), uintptr(unsafe.Pointer(ctx)),
		uintptr(unsafe.Pointer(target)), uintptr(req), 0, SECURITY_NATIVE_DREP, uintptr(unsafe.Pointer(input)), 0,
		uintptr(unsafe.Pointer(newCtx)), uintptr(unsafe.Pointer(output)), uintptr(unsafe.Pointer(attrs)), uintptr(unsafe.Pointer(expiry)))
	return status(r)
}

// AcceptSecurityContext calls AcceptSecurityContext.
func AcceptSecurityContext(cred, ctx *SecHandle, input *SecBufferDesc, req uint32, newCtx *SecHandle, output *SecBufferDesc, attrs *uint32, expiry *int64) uint32 {
	r, _, _ := procAcceptSecurityContext.Call(uintptr(unsafe.Pointer(cred)), uintptr(unsafe.Pointer(ctx)),
		uintptr(unsafe.Pointer(input)), uintptr(req), SECURITY_NATIVE_DREP,
		uintptr(unsafe.Pointer(newCtx)), uintptr(unsafe.Pointer(output)), uintptr(unsafe.Pointer(attrs)), uintptr(unsafe.Pointer(expiry)))
	return status(r)
}

// DeleteSecurityContext calls DeleteSecurityContext.
func DeleteSecurityContext(ctx *SecHandle) uint32 {
	r, _, _ := procDeleteSecurityContext.Call(uintptr(unsafe.Pointer(ctx)))
	return status(r)
}

// EncryptMessage calls EncryptMessage.
func EncryptMessage(ctx *SecHandle, qop uint32, msg *SecBufferDesc) uint32 {
	r, _, _ := procEncryptMessage.Call(uintptr(unsafe.Pointer(ctx)), uintptr(qop), uintptr(unsafe.Pointer(msg)), 0)
	return status(r)
}

// DecryptMessage calls DecryptMessage.
func DecryptMessage(ctx *SecHandle, msg *SecBufferDesc) uint32 {
	var qop uint32
	r, _, _ := procDecryptMessage.Call(uintptr(unsafe.Pointer(ctx)), uintptr(unsafe.Pointer(msg)), 0, uintptr(unsafe.Pointer(&qop)))
	return status(r)
}

// ApplyControlToken calls ApplyControlToken.
func ApplyControlToken(ctx *SecHandle, input *SecBufferDesc) uint32 {
	r, _, _ := procApplyControlToken.Call(uintptr(unsafe.Pointer(ctx)), uintptr(unsafe.Pointer(input)))
	return status(r)
}

// QueryContextAttributes calls QueryContextAttributesW.
func QueryContextAttributes(ctx *SecHandle, attribute uint32, buf unsafe.Pointer) uint32 {
	r, _, _ := procQueryContextAttributesW.Call(uintptr(unsafe.Pointer(ctx)), uintptr(attribute), uintptr(buf))
	return status(r)
}

// FreeContextBuffer calls FreeContextBuffer on memory the package allocated.
func FreeContextBuffer(p *byte) uint32 {
	r, _, _ := procFreeContextBuffer.Call(uintptr(unsafe.Pointer(p)))
	return status(r)
}

// CertOpenSystemStore calls CertOpenSystemStoreW; 0 means failure (see err).
func CertOpenSystemStore(name string) (uintptr, error) {
	n, err := syscall.UTF16PtrFromString(name)
	if err != nil {
		return 0, err
	}
	r, _, err := procCertOpenSystemStoreW.Call(0, uintptr(unsafe.Pointer(n)))
	if r == 0 {
		return 0, err
	}
	return r, nil
}

// CertCloseStore calls CertCloseStore.
func CertCloseStore(store uintptr) {
	procCertCloseStore.Call(store, 0)
}

// CertFindCertificateInStore calls CertFindCertificateInStore; nil when
// nothing (more) matches.
func CertFindCertificateInStore(store uintptr, findType uint32, para unsafe.Pointer, prev *CertContext) *CertContext {
	r, _, _ := procCertFindCertificateInStore.Call(store, X509_ASN_ENCODING|PKCS_7_ASN_ENCODING, 0, uintptr(findType),
		uintptr(para), uintptr(unsafe.Pointer(prev)))
	return (*CertContext)(unsafePointer(r))
}

// CertEnumCertificatesInStore calls CertEnumCertificatesInStore.
func CertEnumCertificatesInStore(store uintptr, prev *CertContext) *CertContext {
	r, _, _ := procCertEnumCertificatesInStore.Call(store, uintptr(unsafe.Pointer(prev)))
	return (*CertContext)(unsafePointer(r))
}

// CertFreeCertificateContext calls CertFreeCertificateContext.
func CertFreeCertificateContext(c *CertContext) {
	if c != nil {
		procCertFreeCertificateContext.Call(uintptr(unsafe.Pointer(c)))
	}
}

// Bytes copies a certificate's DER encoding into Go memory.
func (c *CertContext) Bytes() []byte {
	if c == nil || c.Encoded == nil {
		return nil
	}
	return append([]byte(nil), unsafe.Slice(c.Encoded, c.Length)...)
}

// unsafePointer turns an address returned by a DLL (memory Go does not own)
// into a pointer; vet's unsafeptr check is satisfied by the indirection.
func unsafePointer(p uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&p))
}
