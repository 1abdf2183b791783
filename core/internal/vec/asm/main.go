// Command asm writes package vec's assembly kernels, kernels_amd64.s, and
// their Go declarations, kernels_amd64.go, with avo
// (github.com/mmcloughlin/avo). Run it with
//
//	go generate ./core/internal/vec
//
// which runs `go run -C asm .` in the package directory; -dir names another
// directory to write to.
//
// Each kernel is written once, as the loop body over a block of elements
// (dot.go, axpy.go, affine.go), and unrolled over the block by the helpers
// of step.go; the same body over one element at a time is the kernel's
// tail. avo allocates the registers and checks every instruction's
// operands. What a kernel computes, and in which order it rounds, is the Go
// reference beside it in package vec, which the kernels reproduce bit for
// bit (vec's TestRowsEveryPath, TestAsmMatchesGo and TestAffineMatchesLoops
// compare them): the order of the instructions within a block is free, the
// lane each product accumulates in and the order of the sums are not.
//
// The command is a module of its own so that avo stays out of tweedie's
// go.mod: nothing in the main module imports it, and `go test ./...` at the
// root does not build it. vec's TestGeneratedKernelsUpToDate builds it,
// runs it into a temporary directory and compares what it writes with the
// committed files.
package main

import (
	"bytes"
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/printer"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("vec/asm: ")
	dir := flag.String("dir", "..", "directory to write kernels_amd64.s and kernels_amd64.go to")
	flag.Parse()

	b := &builder{Context: build.NewContext()}
	for _, kernel := range []func(){
		b.dotAsm, b.axpyAsm, // vec.go
		b.dot3Asm, b.axpy4Asm, // rows.go
		b.dot3f, b.dot6f, b.axpy4f, b.axpy8f, // rows32.go
		b.dot2x4f, b.axpy4x4f, // vecs32.go
		b.subScaledAsm, b.shrinkAsm, b.addScaledDiffAsm, // affine.go
	} {
		kernel()
	}

	cfg := printer.Config{Name: "core/internal/vec/asm", Pkg: "vec"}
	files := []struct {
		name    string
		printer printer.Builder
		out     buffer
	}{{name: "kernels_amd64.s", printer: printer.NewGoAsm}, {name: "kernels_amd64.go", printer: printer.NewStubs}}
	passes := []pass.Interface{pass.Compile}
	for i := range files {
		passes = append(passes, &pass.Output{Writer: &files[i].out, Printer: files[i].printer(cfg)})
	}
	if build.Main(&build.Config{ErrOut: os.Stderr, Passes: passes}, b.Context) != 0 {
		os.Exit(1)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(*dir, f.name), f.out.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// buffer is the io.WriteCloser avo's output pass writes a file to.
type buffer struct{ bytes.Buffer }

func (*buffer) Close() error { return nil }
