//go:build !linux

package dynamolocal

import "os/exec"

// killWithParent does nothing where the kernel offers no parent-death signal.
func killWithParent(*exec.Cmd) {}
