package schannel

const nativeAvailable = true
