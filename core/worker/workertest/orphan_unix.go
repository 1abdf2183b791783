//go:build unix

package workertest

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// startOrphan starts this binary as OrphanChild in a session of its own,
// which a kill of the worker's process group does not reach, and writes
// its process id to file.
func startOrphan(file string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), Env+"="+OrphanChild, EnvPIDFile+"=", EnvOrphanFile+"=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	return os.WriteFile(file, []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
}
