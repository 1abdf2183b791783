package vec

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"tweedie/internal/offline"
)

// generated are the files ./asm writes.
var generated = []string{"kernels_amd64.s", "kernels_amd64.go"}

// TestGeneratedKernelsUpToDate runs the generator in ./asm into a
// temporary directory and compares what it writes with the committed
// files. It builds offline, from the module cache, and skips where the
// generator's modules are not there.
func TestGeneratedKernelsUpToDate(t *testing.T) {
	goInAsm := offline.Go(t, "asm")
	dir := t.TempDir()
	goInAsm("run", ".", "-dir", dir)
	for _, name := range generated {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what ./asm writes: run go generate ./core/internal/vec", name)
		}
	}
}

// avx512Kernels are the kernels vec calls only when useAVX512 is set; the
// others run wherever useAsm is.
var avx512Kernels = map[string]bool{"dot6f": true, "axpy8f": true, "dot2x4f": true, "axpy4x4f": true}

// TestKernelsNeedWhatDispatchChecks reads kernels_amd64.s and checks that
// each kernel needs no more than the features its dispatch checks: the
// instruction sets avo lists for it, and the registers, which avo picks
// after choosing an instruction's encoding. A register numbered 16 or more
// needs an EVEX encoding: AVX-512 in a kernel that runs on AVX2, and
// AVX512VL, which useAVX512 does not check, in a packed instruction on X
// or Y registers.
func TestKernelsNeedWhatDispatchChecks(t *testing.T) {
	src, err := os.ReadFile("kernels_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[bool]map[string]bool{
		false: {"AVX": true, "AVX2": true, "FMA3": true, "SSE2": true},
		true:  {"AVX": true, "AVX512F": true, "FMA3": true, "SSE2": true},
	}
	high := regexp.MustCompile(`\b[XY](1[6-9]|2[0-9]|3[01])\b`)
	wide := regexp.MustCompile(`\b[ZK][0-9]+\b`)
	text := regexp.MustCompile(`(?m)^// Requires: (.*)\nTEXT ·(\w+)\(SB\)`)
	kernels := text.FindAllSubmatchIndex(src, -1)
	if len(kernels) != 13 {
		t.Fatalf("found %d kernels with their instruction sets, want 13", len(kernels))
	}
	for n, m := range kernels {
		name, isas := string(src[m[4]:m[5]]), strings.Split(string(src[m[2]:m[3]]), ", ")
		avx512 := avx512Kernels[name]
		for _, s := range isas {
			if !allowed[avx512][s] {
				t.Errorf("%s needs %s", name, s)
			}
		}
		end := len(src)
		if n+1 < len(kernels) {
			end = kernels[n+1][0]
		}
		for _, line := range strings.Split(string(src[m[1]:end]), "\n") {
			f := strings.Fields(line)
			if len(f) == 0 {
				continue
			}
			scalar := strings.HasSuffix(f[0], "SD") || strings.HasSuffix(f[0], "SS")
			switch {
			case !avx512 && (high.MatchString(line) || wide.MatchString(line)):
				t.Errorf("%s, an AVX2 kernel, needs AVX-512: %s", name, strings.TrimSpace(line))
			case avx512 && !scalar && high.MatchString(line):
				t.Errorf("%s needs AVX512VL: %s", name, strings.TrimSpace(line))
			}
		}
	}
}
