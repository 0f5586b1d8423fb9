//go:build !linux

package main

import (
	"errors"
	"os"
)

// noEcho is only implemented on Linux (golang.org/x/term is not a
// dependency this module allows); elsewhere the password is echoed.
func noEcho(*os.File) (func(), error) {
	return nil, errors.New("turning echo off is not implemented on this system")
}
