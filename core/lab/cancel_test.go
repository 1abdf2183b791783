package lab

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"tweedie/core/internal/ctxtest"
)

// New's exact reference checks its context at every probe of the
// posterior's covariance: with a context that ends at its n-th check, New
// returns context.Canceled at that check and makes no further one.
func TestNewObservesCancellation(t *testing.T) {
	cfg := gmm25Config(t, 4, "pig")
	full := ctxtest.Never()
	if _, err := New(full, cfg); err != nil {
		t.Fatal(err)
	}
	n := full.Checks()
	d := int64(cfg.Prior.Dim())
	if n < int64(cfg.Projections)+d {
		t.Fatalf("New checked its context %d times: want at least one per direction and pixel (%d + %d)", n, cfg.Projections, d)
	}
	for _, cut := range []int64{1, n / 2, n} {
		ctx := ctxtest.Cut(cut)
		if _, err := New(ctx, cfg); !errors.Is(err, context.Canceled) {
			t.Errorf("context ending at check %d of %d: error %v, want context.Canceled", cut, n, err)
		}
		if got := ctx.Checks(); got != cut {
			t.Errorf("context ending at check %d of %d: %d checks", cut, n, got)
		}
	}
}

// New computes its reference holding the gate, once, and gives up with
// the gate's error when the gate refuses.
func TestNewHoldsGate(t *testing.T) {
	cfg := gmm25Config(t, 4, "pig")
	held, taken := false, 0
	cfg.Gate = func(context.Context) (func(), error) {
		if held {
			t.Error("gate taken twice at once")
		}
		held = true
		taken++
		return func() { held = false }, nil
	}
	if _, err := New(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if taken != 1 || held {
		t.Errorf("gate taken %d times, held after New: %v", taken, held)
	}
	refused := errors.New("refused")
	cfg.Gate = func(context.Context) (func(), error) { return nil, refused }
	if _, err := New(context.Background(), cfg); !errors.Is(err, refused) {
		t.Errorf("gate refused: New returned %v", err)
	}
}

// Run stops when its context is cancelled: it returns context.Canceled
// without finishing every run, and leaves no goroutine behind.
func TestRunStopsWhenCancelled(t *testing.T) {
	base := runtime.NumGoroutine()
	cfg := gmm25Config(t, 64, "pig", "dps")
	cfg.Workers = 2
	l, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := 0
	err = l.Run(ctx, func(int, int) {
		done++
		cancel()
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	if total := len(cfg.Entries) * cfg.Seeds; done >= total {
		t.Errorf("every run of %d finished after the first was cancelled", total)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after Run, %d before", runtime.NumGoroutine(), base)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
