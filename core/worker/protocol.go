// Package worker drives a denoiser that runs in another process — a
// PyTorch model in `python3 worker.py …`, locally or over `ssh` — through
// the child's stdin and stdout, and presents it as a denoiser.Prior.
//
// # Protocol (version 1)
//
// Both directions carry the same frames:
//
//	u32 n (little-endian) | n bytes of JSON header | payload
//
// The payload is header.tensors tensors of header.shape = [B, d], each
// B·d little-endian IEEE float32 numbers, row after row (a row is one image
// in height-width-channel order, index (y·W + x)·C + c); it is empty when
// tensors is 0. A header is at most MaxHeader bytes.
//
// Requests (tweedie → worker), each with a fresh id:
//
//	hello        {"op":"hello","id":1,"version":1}
//	denoise      {"op":"denoise","id":…,"alpha_bar":ᾱ,"shape":[B,d],"tensors":1,"dtype":"float32"} + x_t
//	linearize    as denoise, and the worker keeps the forward pass under id
//	vjp          {"op":"vjp","id":…,"point":L,"shape":[B,d],"tensors":1,…} + v: Jᵀv at linearize L
//	denoise_vjp  {"op":"denoise_vjp",…,"tensors":2} + x_t + v: x̂0 and Jᵀv from one forward pass
//	release      {"op":"release","id":…,"point":L}: forget linearize L (no reply)
//	cancel       {"op":"cancel","id":…,"point":R}: drop request R if not started (no reply)
//	shutdown     {"op":"shutdown","id":…}: exit (no reply)
//
// Replies (worker → tweedie) carry the request's id:
//
//	hello   {"op":"hello","id":1,"version":1,"image":[H,W,C],"alpha_bars":[ᾱ_1,…,ᾱ_T],
//	         "prediction":"eps"|"x0"|"v","max_batch":B,"vjp":true,"model":"…"}
//	result  {"op":"result","id":…,"shape":[B,d],"tensors":1 or 2,"dtype":"float32","seconds":s} + x̂0 [+ Jᵀv]
//	error   {"op":"error","id":…,"error":"message","code":"stale"|"…"}
//
// A worker answers requests in any order; it may skip a cancelled one. Its
// x̂0 is already converted from its prediction type (the type is reported
// for display only; "seconds", optional, is the model's time). tweedie checks every size against the handshake before
// allocating and treats any malformed frame as the worker's failure.
package worker

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// Version is the protocol version spoken here.
const Version = 1

// Limits on what a worker may send.
const (
	// MaxHeader bounds a header's length in bytes (a ᾱ table of 20000
	// entries in JSON fits).
	MaxHeader = 1 << 20
	// MaxSteps bounds the ᾱ table.
	MaxSteps = 20000
	// MaxPixels bounds d = H·W·C.
	MaxPixels = 1 << 24
	// MaxTensors is the most tensors a frame carries.
	MaxTensors = 2
	// FrameBytes bounds the payload of the frames tweedie sends a worker
	// of a large image: a request carries at most FrameRows(d) rows.
	FrameBytes = 16 << 20
)

// FrameRows is the most rows of d numbers a request carries: as many as
// FrameBytes holds with MaxTensors tensors of float32, and at least one.
func FrameRows(d int) int { return max(1, FrameBytes/(4*MaxTensors*max(d, 1))) }

// FrameBufferBytes is what a worker's frame buffers take at most with
// requests of rows rows of d numbers: a request being written and a reply
// being read, each of MaxTensors tensors of float32.
func FrameBufferBytes(d, rows int) int64 { return 2 * int64(rows) * 4 * MaxTensors * int64(d) }

// Operations.
const (
	OpHello      = "hello"
	OpDenoise    = "denoise"
	OpLinearize  = "linearize"
	OpVJP        = "vjp"
	OpDenoiseVJP = "denoise_vjp"
	OpRelease    = "release"
	OpCancel     = "cancel"
	OpShutdown   = "shutdown"
	OpResult     = "result"
	OpError      = "error"
)

// CodeStale is the error code of a VJP at a point the worker no longer keeps.
const CodeStale = "stale"

// Header is a frame's JSON header; fields not used by an operation are omitted.
type Header struct {
	Op      string  `json:"op"`
	ID      uint64  `json:"id"`
	Point   uint64  `json:"point,omitempty"`
	Shape   []int   `json:"shape,omitempty"`
	Tensors int     `json:"tensors,omitempty"`
	DType   string  `json:"dtype,omitempty"`
	Alpha   float64 `json:"alpha_bar,omitempty"`
	Error   string  `json:"error,omitempty"`
	// Seconds is, in a result, the model's own time for the request
	// (optional): what the overhead of the protocol is measured against.
	Seconds float64 `json:"seconds,omitempty"`
	Code    string  `json:"code,omitempty"`

	// The handshake.
	Version    int       `json:"version,omitempty"`
	Image      []int     `json:"image,omitempty"`
	AlphaBars  []float64 `json:"alpha_bars,omitempty"`
	Prediction string    `json:"prediction,omitempty"`
	MaxBatch   int       `json:"max_batch,omitempty"`
	VJP        bool      `json:"vjp,omitempty"`
	Model      string    `json:"model,omitempty"`
}

// PayloadLen is the length in bytes of the tensors that follow h, after
// checking that they fit the bounds: at most maxRows rows of d numbers and
// MaxTensors tensors. d ≤ 0 admits no payload at all.
func (h *Header) PayloadLen(maxRows, d int) (int, error) {
	if h.Tensors == 0 && len(h.Shape) == 0 {
		return 0, nil
	}
	if h.Tensors < 1 || h.Tensors > MaxTensors {
		return 0, fmt.Errorf("%d tensors, want 1 to %d", h.Tensors, MaxTensors)
	}
	if h.DType != "" && h.DType != "float32" {
		return 0, fmt.Errorf("dtype %q, want float32", h.DType)
	}
	if len(h.Shape) != 2 {
		return 0, fmt.Errorf("shape %v, want [B, d]", h.Shape)
	}
	b, n := h.Shape[0], h.Shape[1]
	if d <= 0 || n != d || b < 1 || b > maxRows {
		return 0, fmt.Errorf("shape %v, want [B, %d] with 1 ≤ B ≤ %d", h.Shape, d, maxRows)
	}
	return h.Tensors * b * d * 4, nil
}

// ReadHeader reads a frame's length prefix and JSON header, checking the
// length before allocating. buf is reused when large enough.
func ReadHeader(r io.Reader, buf []byte) (*Header, []byte, error) {
	var pre [4]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, buf, err
	}
	n := binary.LittleEndian.Uint32(pre[:])
	if n == 0 || n > MaxHeader {
		return nil, buf, fmt.Errorf("header of %d bytes, want 1 to %d (is the worker writing something else to stdout?)", n, MaxHeader)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, buf, unexpected(err)
	}
	h, err := DecodeHeader(buf)
	return h, buf, err
}

// DecodeHeader parses a header's JSON and checks its op.
func DecodeHeader(b []byte) (*Header, error) {
	var h Header
	if err := json.Unmarshal(b, &h); err != nil {
		if path, tok, ok := nonFinite(b); ok {
			return nil, fmt.Errorf("header field %s is %s: every number must be finite (JSON has no NaN or Infinity)", path, tok)
		}
		return nil, fmt.Errorf("header is not JSON: %s", quoteStart(b))
	}
	if h.Op == "" {
		return nil, fmt.Errorf("header without op: %s", quoteStart(b))
	}
	return &h, nil
}

// ReadTensors reads the payload of n bytes into dst (each a slice of
// len/Tensors numbers, converted from float32), using buf as scratch.
func ReadTensors(r io.Reader, buf []byte, dst ...[]float64) ([]byte, error) {
	return readTensors(r, buf, dst...)
}

// Float is the element type of a tensor held by the caller: float64
// (converted from and to the protocol's float32) or float32 (as it is).
type Float interface{ float32 | float64 }

func readTensors[T Float](r io.Reader, buf []byte, dst ...[]T) ([]byte, error) {
	for _, t := range dst {
		n := 4 * len(t)
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		b := buf[:n]
		if _, err := io.ReadFull(r, b); err != nil {
			return buf, unexpected(err)
		}
		for i := range t {
			t[i] = T(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		}
	}
	return buf, nil
}

// Discard skips n payload bytes.
func Discard(r io.Reader, n int) error {
	_, err := io.CopyN(io.Discard, r, int64(n))
	return unexpected(err)
}

// AppendFrame appends the frame of h and its tensors (converted to
// float32) to buf.
func AppendFrame(buf []byte, h *Header, tensors ...[]float64) ([]byte, error) {
	return appendFrame(buf, h, tensors...)
}

func appendFrame[T Float](buf []byte, h *Header, tensors ...[]T) ([]byte, error) {
	js, err := json.Marshal(h)
	if err != nil {
		return buf, err
	}
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(js)))
	buf = append(buf, js...)
	for _, t := range tensors {
		for _, v := range t {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(v)))
		}
	}
	return buf, nil
}

// CheckHello checks a worker's handshake: the version, a sane image shape,
// a ᾱ table in (0, 1) that does not increase, the prediction type and the
// batch bound. An entry of 1 is refused: the last step of every run would
// reach 1 − ᾱ = 0 and diverge; it is most often a leading ᾱ_0 = 1, which
// many codebases keep at the head of alphas_cumprod.
func CheckHello(h *Header) error {
	switch {
	case h.Op == OpError:
		return fmt.Errorf("the worker refused the handshake: %s", h.Error)
	case h.Op != OpHello:
		return fmt.Errorf("answered the handshake with %q, want %q", h.Op, OpHello)
	case h.Version != Version:
		return fmt.Errorf("speaks protocol version %d, tweedie speaks %d", h.Version, Version)
	case len(h.Image) != 3:
		return fmt.Errorf("image shape %v, want [H, W, C]", h.Image)
	case len(h.AlphaBars) < 1 || len(h.AlphaBars) > MaxSteps:
		return fmt.Errorf("ᾱ table of %d steps, want 1 to %d", len(h.AlphaBars), MaxSteps)
	case h.MaxBatch < 1:
		return fmt.Errorf("max_batch %d, want at least 1", h.MaxBatch)
	}
	d := 1
	for _, n := range h.Image {
		if n < 1 || n > MaxPixels {
			return fmt.Errorf("image shape %v out of range", h.Image)
		}
		d *= n
		if d > MaxPixels {
			return fmt.Errorf("image shape %v: more than %d numbers", h.Image, MaxPixels)
		}
	}
	if a := h.AlphaBars[0]; a >= 1 {
		return fmt.Errorf("ᾱ_1 = %v: the table starts without noise (1 − ᾱ = 0, where every run's last step diverges); "+
			"is it a leading ᾱ_0 = 1, as many codebases store alphas_cumprod? Send ᾱ_1 … ᾱ_T, each below 1", a)
	}
	prev := 1.0
	for i, a := range h.AlphaBars {
		if !(a > 0 && a <= prev) {
			return fmt.Errorf("ᾱ_%d = %v: want a table in (0, 1) that does not increase", i+1, a)
		}
		prev = a
	}
	switch h.Prediction {
	case "eps", "x0", "v":
	default:
		return fmt.Errorf("prediction type %q, want eps, x0 or v", h.Prediction)
	}
	return nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// quoteStart quotes the start of bytes that were expected to be JSON.
func quoteStart(b []byte) string {
	if len(b) > 60 {
		return fmt.Sprintf("%q…", b[:60])
	}
	return fmt.Sprintf("%q", b)
}
