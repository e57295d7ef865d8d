package dynamolocal

import (
	"os/exec"
	"syscall"
)

// killWithParent has the kernel kill the emulator if the test binary dies
// without running its cleanups (a -timeout panic, a crash).
func killWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
