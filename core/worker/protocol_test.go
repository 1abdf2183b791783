package worker

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	h := &Header{Op: OpDenoise, ID: 7, Alpha: 0.25, Shape: []int{2, 3}, Tensors: 1, DType: "float32"}
	frame, err := AppendFrame(nil, h, []float64{1, 2, 3, 4, 5, 6.5})
	if err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(frame)
	got, _, err := ReadHeader(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := got.PayloadLen(2, 3)
	if err != nil || n != 24 || got.Alpha != 0.25 || got.ID != 7 {
		t.Fatalf("header %+v, payload %d, %v", got, n, err)
	}
	x := make([]float64, 6)
	if _, err := ReadTensors(r, nil, x); err != nil || x[5] != 6.5 {
		t.Fatalf("tensor %v, %v", x, err)
	}
}

// TestDocsExample checks the bytes of the example frame in docs/worker.md.
func TestDocsExample(t *testing.T) {
	h := &Header{Op: OpDenoise, ID: 2, Alpha: 0.5, Shape: []int{1, 2}, Tensors: 1, DType: "float32"}
	frame, err := AppendFrame(nil, h, []float64{1, -0.5})
	if err != nil {
		t.Fatal(err)
	}
	js := `{"op":"denoise","id":2,"shape":[1,2],"tensors":1,"dtype":"float32","alpha_bar":0.5}`
	want := binary.LittleEndian.AppendUint32(nil, uint32(len(js)))
	want = append(want, js...)
	want = append(want, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xbf)
	if !bytes.Equal(frame, want) {
		t.Fatalf("frame\n%q\nwant\n%q", frame, want)
	}
	if len(js) != 83 {
		t.Errorf("header of %d bytes; docs/worker.md says 83 (0x53)", len(js))
	}
}

func TestPayloadLenBounds(t *testing.T) {
	for _, h := range []Header{
		{Shape: []int{5, 4}, Tensors: 1}, // too many rows
		{Shape: []int{1, 5}, Tensors: 1}, // wrong d
		{Shape: []int{0, 4}, Tensors: 1},
		{Shape: []int{-1, 4}, Tensors: 1},
		{Shape: []int{1, 4}, Tensors: 3},
		{Shape: []int{1, 4}, Tensors: 1, DType: "float64"},
		{Shape: []int{1}, Tensors: 1},
		{Shape: []int{1, 4}},
	} {
		if n, err := h.PayloadLen(4, 4); err == nil {
			t.Errorf("%+v: payload %d accepted", h, n)
		}
	}
}

func TestCheckHello(t *testing.T) {
	ok := Header{Op: OpHello, Version: 1, Image: []int{2, 2, 1}, AlphaBars: []float64{0.9, 0.5}, Prediction: "eps", MaxBatch: 1}
	if err := CheckHello(&ok); err != nil {
		t.Fatal(err)
	}
	bad := []func(h *Header){
		func(h *Header) { h.Version = 2 },
		func(h *Header) { h.Image = []int{2, 2} },
		func(h *Header) { h.Image = []int{1 << 13, 1 << 13, 3} },
		func(h *Header) { h.AlphaBars = []float64{0.5, 0.9} },
		func(h *Header) { h.AlphaBars = []float64{0, 0} },
		func(h *Header) { h.AlphaBars = nil },
		func(h *Header) { h.Prediction = "score" },
		func(h *Header) { h.MaxBatch = 0 },
		func(h *Header) { h.Op = OpResult },
		func(h *Header) { h.AlphaBars = []float64{1, 0.9, 0.5} },
	}
	for i, f := range bad {
		h := ok
		f(&h)
		if err := CheckHello(&h); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
}

// TestHelloLeadingOne: a table with a leading ᾱ_0 = 1 is refused with
// its likely cause.
func TestHelloLeadingOne(t *testing.T) {
	h := Header{Op: OpHello, Version: 1, Image: []int{2, 2, 1}, AlphaBars: []float64{1, 0.9, 0.5}, Prediction: "eps", MaxBatch: 1}
	err := CheckHello(&h)
	if err == nil || !strings.Contains(err.Error(), "ᾱ_1 = 1") || !strings.Contains(err.Error(), "leading ᾱ_0 = 1") {
		t.Fatalf("error %v", err)
	}
}

// TestHeaderNotFinite: a header with a number json.dumps wrote as NaN or
// ±Infinity names the field, in a string or not, nested or not.
func TestHeaderNotFinite(t *testing.T) {
	for js, want := range map[string]string{
		`{"op":"hello","alpha_bars":[0.9,0.5,NaN,0.1]}`:                 "header field alpha_bars[2] is NaN",
		`{"op":"hello","model":"NaN Infinity","alpha_bars":[Infinity]}`: "header field alpha_bars[0] is Infinity",
		`{"op":"result","seconds":-Infinity}`:                           "header field seconds is -Infinity",
		`{"op":"x","a":{"b":[1,[2,NaN]]},"c":NaN}`:                      "header field a.b[1][1] is NaN",
		`{"op":"x","s":"a\"NaN","v":NaN}`:                               "header field v is NaN",
		`{"op":"x","v":NaNa}`:                                           "header is not JSON",
		`{"op":"x","v":[1,2}`:                                           "header is not JSON",
	} {
		_, err := DecodeHeader([]byte(js))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", js, err, want)
		}
	}
}

// FuzzReadFrame: no input makes the decoder panic, allocate past its
// bounds or accept a payload that does not fit the handshake.
func FuzzReadFrame(f *testing.F) {
	h := &Header{Op: OpResult, ID: 1, Shape: []int{2, 4}, Tensors: 1, DType: "float32"}
	frame, _ := AppendFrame(nil, h, make([]float64, 8))
	f.Add(frame)
	hello, _ := AppendFrame(nil, &Header{Op: OpHello, Version: 1, Image: []int{2, 2, 1}, AlphaBars: []float64{0.5}, Prediction: "x0", MaxBatch: 2})
	f.Add(hello)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte("\x02\x00\x00\x00{}"))
	f.Add([]byte("\x19\x00\x00\x00{\"op\":\"x\",\"v\":[NaN,1]}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		for {
			h, _, err := ReadHeader(r, nil)
			if err != nil {
				return
			}
			_ = CheckHello(h)
			n, err := h.PayloadLen(4, 4)
			if err != nil {
				return
			}
			if n > 2*4*4*4 {
				t.Fatalf("payload of %d bytes past the bounds", n)
			}
			dst := make([]float64, n/4)
			if _, err := ReadTensors(r, nil, dst); err != nil {
				return
			}
		}
	})
}

func TestShellScript(t *testing.T) {
	for cmd, want := range map[string]string{
		"python3 w.py --model m.py:load":      "exec python3 w.py --model m.py:load",
		"ssh box 'python3 w.py --model unet'": "exec ssh box 'python3 w.py --model unet'",
		"A=1 python3 w.py":                    "A=1 python3 w.py",
		"cd /x && python3 w.py":               "cd /x && python3 w.py",
		"sleep 1 & python3 w.py":              "sleep 1 & python3 w.py",
		"exec python3 w.py":                   "exec python3 w.py",
		"time python3 w.py":                   "time python3 w.py",
	} {
		if got := shellScript(cmd); got != want {
			t.Errorf("shellScript(%q) = %q, want %q", cmd, got, want)
		}
	}
}
