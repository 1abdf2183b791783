package prior

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"tweedie/core/budget"
	"tweedie/core/img"
	"tweedie/core/worker"
)

func init() {
	Register("remote", Source{
		Help: "a model served by a worker process over its stdin/stdout (remote:[timeout=60s,start=120s,workers=1,log=FILE:]CMD, e.g. remote:\"python3 tweedie_worker.py --model unet\"; see `tweedie worker`)",
		Load: loadRemote,
	})
}

// RemoteOptions are the options of a remote: spec before its command.
type RemoteOptions struct {
	Command string
	Workers int
	Worker  worker.Options
	LogFile string
}

// remoteOpts matches a leading "key=value,…:" of known keys.
var remoteOpts = regexp.MustCompile(`^((?:timeout|start|workers|log|queue)=[^,:]*(?:,(?:timeout|start|workers|log|queue)=[^,:]*)*):`)

// ParseRemote splits a remote: spec's arguments into options and command.
func ParseRemote(args string) (RemoteOptions, error) {
	o := RemoteOptions{Workers: 1}
	if m := remoteOpts.FindStringSubmatch(args); m != nil {
		args = args[len(m[0]):]
		for _, kv := range strings.Split(m[1], ",") {
			k, v, _ := strings.Cut(kv, "=")
			var err error
			switch k {
			case "timeout", "start":
				var d time.Duration
				if d, err = time.ParseDuration(v); err == nil && d <= 0 {
					err = fmt.Errorf("want a positive duration")
				}
				if k == "timeout" {
					o.Worker.Call = d
				} else {
					o.Worker.Start = d
				}
			case "workers", "queue":
				var n int
				if n, err = strconv.Atoi(v); err == nil && (n < 1 || n > 64 && k == "workers" || n > 4096) {
					err = fmt.Errorf("out of range")
				}
				if k == "workers" {
					o.Workers = n
				} else {
					o.Worker.Queue = n
				}
			case "log":
				o.LogFile = v
			}
			if err != nil {
				return o, Specf("remote: %s=%q: %v", k, v, err)
			}
		}
	}
	o.Command = strings.TrimSpace(args)
	if o.Command == "" {
		return o, Specf("remote: no command (remote:CMD, e.g. remote:\"python3 tweedie_worker.py --model unet\")")
	}
	return o, nil
}

func loadRemote(ctx context.Context, args string) (*Prior, error) {
	o, err := ParseRemote(args)
	if err != nil {
		return nil, err
	}
	var logf *os.File
	if o.LogFile != "" {
		if logf, err = os.OpenFile(o.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
			return nil, Specf("remote: log=%s: %v", o.LogFile, err)
		}
		o.Worker.Log = logf
	}
	o.Worker.Budget = budget.Process
	o.Worker.MaxNumbers = MaxRemoteNumbers(budget.Process.Limit(), o.Workers)
	r, err := worker.StartRemote(ctx, o.Command, o.Workers, o.Worker)
	if err != nil {
		closeFile(logf)
		var we *worker.Error
		if errors.As(err, &we) {
			return nil, startError{we} // the spec, and so the command, heads the message
		}
		return nil, err
	}
	shape := r.ImageShape()
	truths, err := budget.Process.Reserve("the test patterns", truthBytes(shape.Len()))
	if err != nil {
		r.Close()
		closeFile(logf)
		return nil, err
	}
	p := &Prior{Model: r, Truths: remoteTruths(shape)}
	p.Close = func() error {
		err := r.Close()
		truths.Release()
		closeFile(logf)
		return err
	}
	return p, nil
}

// truthBytes is the memory of remoteTruths of images of d numbers.
func truthBytes(d int) int64 { return int64(len(testPatterns)) * 8 * int64(d) }

// MaxRemoteNumbers is the largest image, in numbers (H·W·C), that a
// served model may declare with limit bytes of budget and workers worker
// processes: its frames, its test patterns and the least run of the
// longest schedule (budget.LeastRun) fit, below the protocol's bound.
func MaxRemoteNumbers(limit int64, workers int) int {
	if budget.LeastRun == nil {
		return worker.MaxPixels
	}
	fits := func(d int) bool {
		frames := int64(workers) * worker.FrameBufferBytes(d, worker.FrameRows(d))
		return frames+truthBytes(d)+budget.LeastRun(d, worker.MaxSteps) <= limit
	}
	lo, hi := 0, worker.MaxPixels // fits(lo); the answer is in [lo, hi]
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// startError is a worker that failed to start, without its command.
type startError struct{ e *worker.Error }

func (s startError) Error() string { return "the worker " + s.e.Msg }
func (s startError) Unwrap() error { return s.e }

func closeFile(f io.Closer) {
	if f != nil {
		_ = f.Close()
	}
}

// remoteTruths are the ground truths of a served model: those registered
// for its shape (RegisterTruths), a few smooth test patterns otherwise.
func remoteTruths(s img.Shape) []Truth {
	if truths := registeredTruths(s); truths != nil {
		return truths
	}
	truths := make([]Truth, len(testPatterns))
	for i, p := range testPatterns {
		im := img.Image{Shape: s, Pix: make([]float64, s.Len())}
		for y := 0; y < s.H; y++ {
			for x := 0; x < s.W; x++ {
				for c := 0; c < s.C; c++ {
					im.Pix[(y*s.W+x)*s.C+c] = p.f((float64(y)+0.5)/float64(s.H), (float64(x)+0.5)/float64(s.W), c)
				}
			}
		}
		truths[i] = Truth{Name: "test pattern: " + p.name, Label: p.name, Image: im}
	}
	return truths
}

// testPatterns are the ground truths of a served model of another shape
// than MNIST's, as functions of the pixel's centre in [0, 1]² and channel.
var testPatterns = []struct {
	name string
	f    func(y, x float64, c int) float64
}{
	{"disc", func(y, x float64, c int) float64 {
		if math.Hypot(y-0.5, x-0.5) < 0.3 {
			return 0.8 - 0.3*float64(c)
		}
		return -0.8
	}},
	{"stripes", func(y, x float64, c int) float64 { return 0.9 * math.Sin(2*math.Pi*(3*x+float64(c)/3)) }},
	{"gradient", func(y, x float64, c int) float64 { return 2*(x+y)/2 - 1 }},
	{"checkerboard", func(y, x float64, c int) float64 {
		if (int(4*y)+int(4*x))%2 == 0 {
			return 0.8
		}
		return -0.8
	}},
}
