// Package peertest is the one rule every test that needs a program from
// outside Go follows (openssl, curl, Apache, MIT Kerberos, Cyrus SASL...):
// when the program is missing the test is skipped with the Debian package
// to install, except under SCHANNEL_INTEROP=require, where CI has installed
// every peer and a missing one is a broken setup that must fail.
package peertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Required reports whether missing peers fail the test
// (SCHANNEL_INTEROP=require, as CI sets it).
func Required() bool { return os.Getenv("SCHANNEL_INTEROP") == "require" }

// Missing skips the test with msg, or fails it when peers are required.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if Required() {
		t.Fatal(msg + " (SCHANNEL_INTEROP=require)")
	}
	t.Skip(msg)
}

// Path finds a program in PATH or, for daemons (nginx, apache2,
// krb5kdc), in the sbin directories a non-login PATH may lack.
func Path(program string) (string, error) {
	path, err := exec.LookPath(program)
	if err == nil {
		return path, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		if p, err2 := exec.LookPath(filepath.Join(dir, program)); err2 == nil {
			return p, nil
		}
	}
	return "", err
}

// Program returns the path of program, or calls Missing naming the Debian
// package that has it.
func Program(t testing.TB, program, debianPackage string) string {
	t.Helper()
	path, err := Path(program)
	if err != nil {
		Missing(t, fmt.Sprintf("%s is not installed (%v); install the Debian package %s", program, err, debianPackage))
	}
	return path
}
