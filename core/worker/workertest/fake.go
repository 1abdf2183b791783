// Package workertest is a worker for tests, written in Go so that the fault
// tests need no Python: a test binary runs it as its child when the
// environment variable Env names a mode (Main).
//
// Its model is the linear x̂0_i = s·(x_i + ½·x_{i+1 mod d}), s = sqrt(ᾱ),
// whose J is not symmetric: (Jᵀv)_j = s·(v_j + ½·v_{j−1 mod d}).
package workertest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"tweedie/core/schedule"
	"tweedie/core/worker"
)

// Env names the mode; EnvShape the image shape "HxWxC" (default 4x4x1).
const (
	Env      = "TWEEDIE_FAKE_WORKER"
	EnvShape = "TWEEDIE_FAKE_SHAPE"
	// EnvPIDFile names a file the worker writes its process id to.
	EnvPIDFile = "TWEEDIE_FAKE_PIDFILE"
	// EnvExitAt is the number of model requests ExitAt answers before it
	// exits (default 3).
	EnvExitAt = "TWEEDIE_FAKE_EXIT_AT"
	// EnvOrphanFile, when set, has the worker start a grandchild (this
	// binary in mode OrphanChild) in a session of its own before it serves,
	// and write the grandchild's process id to the file it names.
	EnvOrphanFile = "TWEEDIE_FAKE_ORPHANFILE"
)

// Modes.
const (
	OK        = "ok"         // a correct worker
	Exit      = "exit"       // exits with status 3 before the handshake
	ExitLater = "exit-later" // exits at the first request
	HangHello = "hang-hello" // never answers the handshake
	Hang      = "hang"       // never answers a request
	Garbage   = "garbage"    // writes text to stdout
	Shape     = "shape"      // answers with the wrong number of rows
	NaN       = "nan"        // answers with NaN
	SSHLost   = "ssh-lost"   // as ssh when the link drops, at the first request
	Slow      = "slow"       // answers each request after 1.5 s
	ExitAt    = "exit-at"    // answers EnvExitAt model requests, then exits as killed
	NaNAt     = "nan-at"     // answers NaN to the model request after EnvExitAt, once
	// LeadingOne declares a ᾱ table with a leading ᾱ_0 = 1; NaNTable one
	// with NaN at alpha_bars[17] (written as Python's json.dumps does).
	LeadingOne = "leading-one"
	NaNTable   = "nan-table"
	// OrphanChild is the grandchild of EnvOrphanFile: it sleeps for an hour.
	OrphanChild = "orphan-child"
)

// Command is the shell command that runs this test binary as a fake worker
// in mode, with the environment assignments env ("NAME=value") before it:
// the CMD of a --prior remote:CMD in tests whose TestMain calls Main.
func Command(mode string, env ...string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	vars := strings.Join(append([]string{Env + "=" + mode}, env...), " ")
	return fmt.Sprintf("%s exec %q -test.run=^$", vars, exe), nil
}

// Main runs the fake worker and exits when Env is set; it returns at once
// otherwise. Call it first in TestMain.
func Main() {
	mode := os.Getenv(Env)
	if mode == "" {
		return
	}
	os.Exit(Serve(mode, os.Stdin, os.Stdout, os.Stderr))
}

// Fake computes the fake model's x̂0 (and, with v, Jᵀv) of one row.
func Fake(dst, x []float64, alphaBar float64, transpose bool) {
	s, d := math.Sqrt(alphaBar), len(x)
	for i := range x {
		if transpose {
			dst[i] = s * (x[i] + 0.5*x[(i-1+d)%d])
		} else {
			dst[i] = s * (x[i] + 0.5*x[(i+1)%d])
		}
	}
}

func shape() []int {
	s := os.Getenv(EnvShape)
	if s == "" {
		return []int{4, 4, 1}
	}
	var out []int
	for _, f := range strings.Split(s, "x") {
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	return out
}

// Serve runs a worker in mode over r and w; it returns the exit status.
func Serve(mode string, r io.Reader, w io.Writer, stderr io.Writer) int {
	fmt.Fprintln(stderr, "fake worker: starting in mode", mode)
	if f := os.Getenv(EnvPIDFile); f != "" {
		_ = os.WriteFile(f, []byte(strconv.Itoa(os.Getpid())), 0o644)
	}
	switch mode {
	case Exit:
		fmt.Fprintln(stderr, "Traceback (most recent call last):")
		fmt.Fprintln(stderr, "FileNotFoundError: model.pt not found")
		return 3
	case Garbage:
		fmt.Fprintln(w, "Loading checkpoint shards: 100%|██████████| 2/2")
		time.Sleep(10 * time.Second)
		return 0
	case OrphanChild:
		time.Sleep(time.Hour)
		return 0
	}
	if f := os.Getenv(EnvOrphanFile); f != "" {
		if err := startOrphan(f); err != nil {
			fmt.Fprintln(stderr, "fake worker:", err)
			return 6
		}
	}
	exitAt := 3
	if n, err := strconv.Atoi(os.Getenv(EnvExitAt)); err == nil {
		exitAt = n
	}
	requests := 0
	br := bufio.NewReader(r)
	bw := bufio.NewWriter(w)
	im := shape()
	d := im[0] * im[1] * im[2]
	points := map[uint64][]float64{} // linearize id → x_t and ᾱ (last)
	var hbuf, pbuf []byte
	for {
		h, nb, err := worker.ReadHeader(br, hbuf)
		hbuf = nb
		if err != nil {
			return 0 // EOF: tweedie is gone
		}
		n, err := h.PayloadLen(4096, d)
		if err != nil {
			fmt.Fprintln(stderr, "fake worker: bad request:", err)
			return 4
		}
		ts := make([][]float64, h.Tensors)
		for i := range ts {
			ts[i] = make([]float64, n/4/max(h.Tensors, 1))
		}
		if pbuf, err = worker.ReadTensors(br, pbuf, ts...); err != nil {
			return 0
		}
		reply := &worker.Header{Op: worker.OpResult, ID: h.ID}
		var out [][]float64
		switch h.Op {
		case worker.OpHello:
			if mode == HangHello {
				time.Sleep(time.Hour)
			}
			sched := schedule.Default()
			reply = &worker.Header{Op: worker.OpHello, ID: h.ID, Version: worker.Version, Image: im,
				AlphaBars: sched.AlphaBar[1:], Prediction: "x0", MaxBatch: 3, VJP: true, Model: "fake " + mode}
			switch mode {
			case LeadingOne:
				reply.AlphaBars = sched.AlphaBar
			case NaNTable:
				if err := writeNaNHello(bw, reply); err != nil {
					return 5
				}
				continue
			}
		case worker.OpShutdown:
			return 0
		case worker.OpRelease:
			delete(points, h.Point)
			continue
		case worker.OpCancel:
			continue
		case worker.OpDenoise, worker.OpLinearize, worker.OpVJP, worker.OpDenoiseVJP:
			switch mode {
			case ExitLater:
				fmt.Fprintln(stderr, "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB")
				return 1
			case SSHLost:
				fmt.Fprintln(stderr, "client_loop: send disconnect: Broken pipe")
				return 255
			case Hang:
				time.Sleep(time.Hour)
			case Slow:
				time.Sleep(1500 * time.Millisecond)
			case ExitAt:
				if requests++; requests > exitAt {
					fmt.Fprintln(stderr, "fake worker: killed after", exitAt, "requests")
					return 137
				}
			case NaNAt:
				requests++
			}
			var x []float64
			ab := h.Alpha
			if h.Op == worker.OpVJP {
				p, ok := points[h.Point]
				if !ok {
					reply = &worker.Header{Op: worker.OpError, ID: h.ID, Code: worker.CodeStale, Error: "no such point"}
					break
				}
				ab = p[len(p)-1]
				x = ts[0]
				out = [][]float64{rows(x, d, ab, true)}
			} else {
				x = ts[0]
				out = [][]float64{rows(x, d, ab, false)}
				if h.Op == worker.OpLinearize {
					points[h.ID] = append(append([]float64(nil), x...), ab)
				}
				if h.Op == worker.OpDenoiseVJP {
					out = append(out, rows(ts[1], d, ab, true))
				}
			}
			b := len(x) / d
			switch mode {
			case Shape:
				b++
				out[0] = append(out[0], make([]float64, d)...)
			case NaN:
				out[0][0] = math.NaN()
			case NaNAt:
				if requests == exitAt+1 {
					out[0][0] = math.NaN()
				}
			}
			reply.Shape, reply.Tensors, reply.DType = []int{b, d}, len(out), "float32"
		default:
			reply = &worker.Header{Op: worker.OpError, ID: h.ID, Error: "unknown op " + h.Op}
		}
		frame, err := worker.AppendFrame(nil, reply, out...)
		if err != nil {
			return 5
		}
		if _, err := bw.Write(frame); err != nil {
			return 0
		}
		if err := bw.Flush(); err != nil {
			return 0
		}
	}
}

// nanSentinel stands for the NaN writeNaNHello puts at alpha_bars[17].
const nanSentinel = 0.123456789

// writeNaNHello writes the handshake h with NaN at alpha_bars[17], as
// Python's json.dumps writes a float that is not finite.
func writeNaNHello(w *bufio.Writer, h *worker.Header) error {
	h.AlphaBars = append([]float64(nil), h.AlphaBars...)
	h.AlphaBars[17] = nanSentinel
	js, err := json.Marshal(h)
	if err != nil {
		return err
	}
	js = bytes.Replace(js, []byte(strconv.FormatFloat(nanSentinel, 'g', -1, 64)), []byte("NaN"), 1)
	_ = binary.Write(w, binary.LittleEndian, uint32(len(js)))
	w.Write(js)
	return w.Flush()
}

func rows(x []float64, d int, ab float64, transpose bool) []float64 {
	out := make([]float64, len(x))
	for i := 0; i < len(x); i += d {
		Fake(out[i:i+d], x[i:i+d], ab, transpose)
	}
	return out
}
