package tui

import (
	"fmt"
	"io"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"tweedie/core/gmm"
	"tweedie/core/prior"
)

// slowLabOptions are the test options with a prior whose lab reference
// takes seconds (13 s alone on a 2-core machine): K copies of one
// component, every one of them with the same posterior weight, so every
// one is probed (lab.New probes Σ'_k about 1600 times per component).
func slowLabOptions(t *testing.T) Options {
	t.Helper()
	const K = 300
	one := gmm.Random(testShape, 1, 20, 7).Components[0]
	mix := &gmm.Mixture{Shape: testShape, Components: make([]gmm.Component, K)}
	for k := range mix.Components {
		mix.Components[k] = one
		mix.Components[k].Weight = 1.0 / K
	}
	if err := mix.Validate(); err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.Prior = prior.FromMixture(mix, opts.Prior.Truths)
	opts.Pool = NewPool(16, 16) // nothing waits for a slot
	return opts
}

// goroutineID matches the header of a goroutine's stack.
var goroutineID = regexp.MustCompile(`^goroutine (\d+) `)

// goroutinesIn returns the ids of the goroutines whose stack holds the
// function named, and their stacks.
func goroutinesIn(fn string) (ids []string, stacks string) {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, fn) {
			if m := goroutineID.FindStringSubmatch(g); m != nil {
				ids = append(ids, m[1])
				stacks += g + "\n\n"
			}
		}
	}
	return ids, stacks
}

// labReference is the lab's exact reference, computed by lab.New.
const labReference = "tweedie/core/lab.(*Lab).reference"

// cancelWait bounds the time a cancelled lab reference takes to stop: it
// checks its context at every probe (tens of microseconds), and one not
// cancelled runs for many seconds more (slowLabOptions).
const cancelWait = 5 * time.Second

// within polls cond until it holds, and fails the test with why() when it
// does not within d.
func within(t *testing.T, d time.Duration, cond func() bool, why func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, why())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Several sessions on pipes open the lab (its exact reference takes
// seconds), open it again after a reseed, and end: the second opening
// cancels the first reference rather than running beside it, the
// references stop when the sessions end, and then every goroutine the
// sessions started ends.
func TestSessionsLeaveNoWork(t *testing.T) {
	const n = 3
	opts := slowLabOptions(t)
	base := runtime.NumGoroutine()
	type term struct {
		in  *io.PipeWriter
		ran chan error
	}
	terms := make([]term, n)
	for i := range terms {
		pr, pw := io.Pipe()
		s, err := NewSession(opts, Terminal{
			Input: pr, Output: io.Discard, Environ: []string{"TERM=xterm-256color"}, Width: 100, Height: 30,
		})
		if err != nil {
			t.Fatal(err)
		}
		terms[i] = term{in: pw, ran: make(chan error, 1)}
		go func() { terms[i].ran <- s.Run() }()
	}
	// press types the keys into every session, in order, a little apart.
	press := func(keys ...string) {
		for _, tm := range terms {
			go func() {
				for _, k := range keys {
					io.WriteString(tm.in, k) // returns once the session read it
					time.Sleep(50 * time.Millisecond)
				}
			}()
		}
	}
	// newRefs waits until n references run that are not among old, and
	// then, at most cancelWait, until none of old runs.
	newRefs := func(old []string) (ids []string) {
		t.Helper()
		within(t, maxWait(t), func() bool {
			all, _ := goroutinesIn(labReference)
			ids = slices.DeleteFunc(all, func(id string) bool { return slices.Contains(old, id) })
			return len(ids) == n
		}, func() string { return fmt.Sprintf("%d new lab references running, want %d", len(ids), n) })
		var left []string
		var stacks string
		within(t, cancelWait, func() bool {
			var all []string
			all, stacks = goroutinesIn(labReference)
			left = slices.DeleteFunc(all, func(id string) bool { return slices.Contains(ids, id) })
			return len(left) == 0
		}, func() string {
			return fmt.Sprintf("lab references %v still running after new ones %v started:\n%s", left, ids, stacks)
		})
		return ids
	}
	press("l")
	first := newRefs(nil)
	press("l", "e", "l") // back to the explorer, a new seed, the lab again
	newRefs(first)

	press("q")
	for i, tm := range terms {
		select {
		case err := <-tm.ran:
			if err != nil {
				t.Errorf("session %d: %v", i, err)
			}
		case <-time.After(maxWait(t)):
			t.Fatalf("session %d did not end", i)
		}
	}
	// Run waited for them (at most finishWait, which a loaded machine
	// running the race detector may exceed).
	within(t, cancelWait, func() bool {
		ids, _ := goroutinesIn(labReference)
		return len(ids) == 0
	}, func() string {
		ids, stacks := goroutinesIn(labReference)
		return fmt.Sprintf("lab references %v still running after the sessions ended:\n%s", ids, stacks)
	})
	for _, tm := range terms {
		tm.in.Close() // the client leaves: the input ends
	}
	live := func() int {
		liveSessions.Lock()
		defer liveSessions.Unlock()
		return liveSessions.n
	}
	// Timers of bubbletea's (terminal detection, 1.5 s) end on their own.
	within(t, 10*time.Second, func() bool { return runtime.NumGoroutine() <= base && live() == 0 }, func() string {
		buf := make([]byte, 1<<20)
		return fmt.Sprintf("%d goroutines after the sessions ended, %d before; %d sessions counted as live:\n%s",
			runtime.NumGoroutine(), base, live(), buf[:runtime.Stack(buf, true)])
	})
}
