package vec

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestAVX2KernelsWithoutAVX512 runs the tests of every path on an emulated
// CPU with AVX2 and FMA but no AVX-512 (qemu-x86_64 -cpu Haswell, from
// Debian's qemu-user), where an instruction that needs more than the AVX2
// kernels are dispatched on stops the program.
func TestAVX2KernelsWithoutAVX512(t *testing.T) {
	if testing.Short() {
		t.Skip("emulates a CPU: not with -short")
	}
	if !useAsm {
		t.Skip("no AVX2+FMA here: the AVX2 kernels never run")
	}
	qemu, err := exec.LookPath("qemu-x86_64")
	if err != nil {
		t.Skip("qemu-x86_64 (Debian's qemu-user) is not installed")
	}
	cmd := exec.Command(qemu, "-cpu", "Haswell", os.Args[0], "-test.v",
		"-test.run", "^(TestRowsEveryPath|TestAsmMatchesGo|TestAffineMatchesLoops)$")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("on an emulated Haswell: %v\n%s", err, out)
	}
	for _, want := range []string{"AVX-512: not on this machine", "--- PASS: TestAsmMatchesGo", "--- PASS: TestRowsEveryPath", "--- PASS: TestAffineMatchesLoops"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("on an emulated Haswell, no %q in\n%s", want, out)
		}
	}
}
