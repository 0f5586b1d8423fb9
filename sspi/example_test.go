package sspi_test

import (
	"crypto/tls"
	"fmt"

	_ "github.com/gosspi/schannel" // registers the Schannel package
	"github.com/gosspi/schannel/sspi"
)

// The packages linked into the program, as EnumerateSecurityPackages lists
// them.
func ExampleEnumerateSecurityPackages() {
	infos, err := sspi.EnumerateSecurityPackages()
	if err != nil {
		panic(err)
	}
	for _, info := range infos {
		if info.Comment == "Schannel Security Package" {
			fmt.Printf("%s: cbMaxToken %d, RPC id %d\n", info.Name, info.MaxToken, info.RPCID)
		}
	}
	// Output:
	// Microsoft Unified Security Protocol Provider: cbMaxToken 24576, RPC id 14
	// Schannel: cbMaxToken 24576, RPC id 14
	// Default TLS SSP: cbMaxToken 24576, RPC id 14
}

// A client context started by name, as a C program would: the first
// InitializeSecurityContext call returns the ClientHello to send.
func ExampleInitializeSecurityContext() {
	cred, err := sspi.AcquireCredentialsHandle("", "Schannel", sspi.SECPKG_CRED_OUTBOUND, &tls.Config{ServerName: "example.com"})
	if err != nil {
		panic(err)
	}
	defer cred.FreeCredentialsHandle()
	output := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}, {BufferType: sspi.SECBUFFER_ALERT}}
	ctx, status, err := sspi.InitializeSecurityContext(cred, nil, "example.com",
		sspi.ISC_REQ_CONFIDENTIALITY|sspi.ISC_REQ_STREAM|sspi.ISC_REQ_ALLOCATE_MEMORY, nil, output)
	if err != nil {
		panic(err)
	}
	defer ctx.DeleteSecurityContext()
	fmt.Println(status, output[0].BufferType, output[0].Size > 0)
	// Output: SEC_I_CONTINUE_NEEDED TOKEN true
}

// Every package answers SECPKG_ATTR_PACKAGE_INFO.
func ExampleContext_QueryContextAttributes() {
	cred, _ := sspi.AcquireCredentialsHandle("", "Schannel", sspi.SECPKG_CRED_OUTBOUND, &tls.Config{ServerName: "example.com"})
	output := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	ctx, _, _ := sspi.InitializeSecurityContext(cred, nil, "example.com", sspi.ISC_REQ_ALLOCATE_MEMORY, nil, output)
	info, err := ctx.QueryContextAttributes(sspi.SECPKG_ATTR_PACKAGE_INFO)
	if err != nil {
		panic(err)
	}
	fmt.Println(info.(sspi.PackageInfo).Name)
	// Output: Schannel
}
