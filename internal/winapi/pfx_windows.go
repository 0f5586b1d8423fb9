package winapi

import (
	"syscall"
	"unsafe"
)

// Certificate import, for the Wine tests that give secur32 a certificate
// with its private key.
var (
	procPFXImportCertStore               = crypt32.NewProc("PFXImportCertStore")
	procCertAddCertificateContextToStore = crypt32.NewProc("CertAddCertificateContextToStore")
)

// Flags of PFXImportCertStore and CertAddCertificateContextToStore.
const (
	CRYPT_EXPORTABLE                = 0x00000001
	CRYPT_USER_KEYSET               = 0x00001000
	CERT_STORE_ADD_REPLACE_EXISTING = 3
)

// CryptDataBlob is CRYPT_DATA_BLOB.
type CryptDataBlob struct {
	Size uint32
	Data *byte
}

// PFXImportCertStore imports a PKCS #12 file into a new in-memory store
// whose certificates carry their private keys (persisted in the user's key
// containers); 0 means failure (see err).
func PFXImportCertStore(pfx []byte, password string, flags uint32) (uintptr, error) {
	pw, err := syscall.UTF16PtrFromString(password)
	if err != nil {
		return 0, err
	}
	blob := &CryptDataBlob{Size: uint32(len(pfx)), Data: &pfx[0]}
	r, _, err := procPFXImportCertStore.Call(uintptr(unsafe.Pointer(blob)), uintptr(unsafe.Pointer(pw)), uintptr(flags))
	if r == 0 {
		return 0, err
	}
	return r, nil
}

// CertAddCertificateContextToStore adds a copy of cert to store.
func CertAddCertificateContextToStore(store uintptr, cert *CertContext, disposition uint32) error {
	r, _, err := procCertAddCertificateContextToStore.Call(store, uintptr(unsafe.Pointer(cert)), uintptr(disposition), 0)
	if r == 0 {
		return err
	}
	return nil
}

var procWineGetVersion = syscall.NewLazyDLL("ntdll.dll").NewProc("wine_get_version")

// WineVersion is the version of Wine the program runs under, "" on Windows.
func WineVersion() string {
	if procWineGetVersion.Find() != nil {
		return ""
	}
	r, _, _ := procWineGetVersion.Call()
	if r == 0 {
		return ""
	}
	p := (*byte)(unsafePointer(r))
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}
