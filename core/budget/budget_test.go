package budget

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestReserve(t *testing.T) {
	b := New(100)
	r1, err := b.Reserve("a", 60)
	if err != nil || b.Free() != 40 || r1.Bytes() != 60 {
		t.Fatalf("reserve 60 of 100: %v, free %d", err, b.Free())
	}
	_, err = b.Reserve("the vectors of a run", 41)
	var be *Error
	if !errors.As(err, &be) || be.Need != 41 || be.Free != 40 || be.Limit != 100 || !strings.HasPrefix(err.Error(), "the vectors of a run needs 41 B") {
		t.Fatalf("41 more: %v", err)
	}
	if _, err := b.Reserve("negative", -1); err == nil {
		t.Error("a negative reservation accepted")
	}
	part := r1.Split(25)
	if r1.Bytes() != 35 || part.Bytes() != 25 || b.Free() != 40 {
		t.Fatalf("split: %d and %d, free %d", r1.Bytes(), part.Bytes(), b.Free())
	}
	part.Release()
	part.Release() // once only
	if b.Free() != 65 {
		t.Fatalf("after releasing the part: free %d", b.Free())
	}
	r1.Release()
	if b.Free() != 100 {
		t.Fatalf("after releasing all: free %d", b.Free())
	}
	a, _ := b.Reserve("a", 30)
	c, _ := b.Reserve("c", 20)
	if a.Join(c) != a || a.Bytes() != 50 || c.Bytes() != 0 || b.Free() != 50 {
		t.Fatalf("join: %d and %d, free %d", a.Bytes(), c.Bytes(), b.Free())
	}
	c.Release()
	a.Release()
	if b.Free() != 100 {
		t.Fatalf("after releasing a join: free %d", b.Free())
	}
	var nilB *Budget
	if r, err := nilB.Reserve("x", 1<<60); err != nil || r != nil {
		t.Errorf("a nil budget: %v, %v", r, err)
	}
	var nilR *Reservation
	nilR.Release()
	if nilR.Split(3) != nil || nilR.Bytes() != 0 {
		t.Error("a nil reservation")
	}
}

// TestReserveConcurrent: reservations from many goroutines never exceed
// the limit and all come back.
func TestReserveConcurrent(t *testing.T) {
	b := New(1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	peak := int64(0)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				r, err := b.Reserve("x", 70)
				if err != nil {
					continue
				}
				mu.Lock()
				peak = max(peak, 1000-b.Free())
				mu.Unlock()
				r.Release()
			}
		}()
	}
	wg.Wait()
	if b.Free() != 1000 || peak > 1000 {
		t.Errorf("free %d, peak %d", b.Free(), peak)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{12: "12 B", 12 << 10: "12 KiB", 640 << 20: "640 MiB", 3 << 29: "1.5 GiB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
