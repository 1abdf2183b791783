package work

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// End cancels the context every task sees and calls its function once the
// last task has returned, not before; tasks started after End do nothing.
func TestEndWaitsForTasks(t *testing.T) {
	g := New()
	release := make(chan struct{})
	var returned atomic.Int32
	for range 3 {
		if !g.Go(func() {
			<-g.Context().Done()
			<-release
			returned.Add(1)
		}) {
			t.Fatal("Go refused before End")
		}
	}
	cmdDone := make(chan tea.Msg)
	go func() {
		cmdDone <- g.Cmd(func() tea.Msg {
			<-g.Context().Done()
			<-release
			returned.Add(1)
			return "cmd"
		})()
	}()
	for g.Running() < 4 {
		time.Sleep(time.Millisecond)
	}
	ended := make(chan int32, 1)
	g.End(func() { ended <- returned.Load() })
	select {
	case <-ended:
		t.Fatal("End's function called while tasks were running")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if n := <-ended; n != 4 {
		t.Errorf("End's function called after %d of 4 tasks returned", n)
	}
	if msg := <-cmdDone; msg != "cmd" {
		t.Errorf("the command returned %v", msg)
	}
	if g.Go(func() { t.Error("a task ran after End") }) {
		t.Error("Go started a task after End")
	}
	ran := false
	if msg := g.Cmd(func() tea.Msg { ran = true; return "late" })(); msg != nil || ran {
		t.Errorf("a command after End ran (%v) and returned %v", ran, msg)
	}
	called := false
	g.End(func() { called = true })
	if !called {
		t.Error("End with nothing running did not call its function at once")
	}
}

// After waits its time and returns f's message, or returns nil as soon as
// its context ends, without calling f.
func TestAfter(t *testing.T) {
	g := New()
	if msg := g.After(g.Context(), time.Millisecond, func() tea.Msg { return "tick" })(); msg != "tick" {
		t.Errorf("After returned %v", msg)
	}
	ctx, cancel := context.WithCancel(g.Context())
	got := make(chan tea.Msg, 1)
	go func() {
		got <- g.After(ctx, time.Hour, func() tea.Msg { return "late" })()
	}()
	for g.Running() < 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case msg := <-got:
		if msg != nil {
			t.Errorf("a cancelled After returned %v", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("After did not return when its context ended")
	}
	if n := g.Running(); n != 0 {
		t.Errorf("%d tasks running after After returned", n)
	}
}
