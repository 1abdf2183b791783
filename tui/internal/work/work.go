// Package work ties an explorer's background work to the explorer, so
// that nothing an explorer started outlives it: every goroutine and every
// command that computes for it runs in its Group, under the group's
// context, and End cancels that context and tells when the last of them
// has returned.
//
// A command (tea.Cmd) runs on a goroutine of bubbletea's, which the
// program does not wait for: a command still working when the program
// ends is left to return on its own. A command made with Group.Cmd is
// counted while it works and does nothing once the group has ended, and
// one made with Group.After waits on the context rather than on a bare
// timer.
package work

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Group is one explorer's background work.
type Group struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	running int
	ended   bool
	then    []func() // called once ended with nothing running
}

// New returns a group that runs until End.
func New() *Group {
	ctx, cancel := context.WithCancel(context.Background())
	return &Group{ctx: ctx, cancel: cancel}
}

// Context ends with End. Each task's own context (one that a newer task
// of the same kind cancels) is derived from it.
func (g *Group) Context() context.Context { return g.ctx }

// enter counts a task that starts, unless the group has ended.
func (g *Group) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ended {
		return false
	}
	g.running++
	return true
}

// leave counts a task that returned; the last to return after End calls
// End's functions.
func (g *Group) leave() {
	g.mu.Lock()
	g.running--
	var then []func()
	if g.ended && g.running == 0 {
		then, g.then = g.then, nil
	}
	g.mu.Unlock()
	for _, f := range then {
		f()
	}
}

// Go runs f on a goroutine of its own, counted in the group, and reports
// whether it did: after End it does nothing.
func (g *Group) Go(f func()) bool {
	if !g.enter() {
		return false
	}
	go func() {
		defer g.leave()
		f()
	}()
	return true
}

// Cmd returns a command that runs f counted in the group; once the group
// has ended the command returns nil without running f.
func (g *Group) Cmd(f func() tea.Msg) tea.Cmd {
	return func() tea.Msg {
		if !g.enter() {
			return nil
		}
		defer g.leave()
		return f()
	}
}

// After returns a command that waits d and returns f(); it returns nil
// without running f when ctx (the group's, or one derived from it) ends
// first.
func (g *Group) After(ctx context.Context, d time.Duration, f func() tea.Msg) tea.Cmd {
	return g.Cmd(func() tea.Msg {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		return f()
	})
}

// End cancels the group's context; from then on Go and Cmd start nothing.
// When every task of the group has returned, then (if not nil) is called:
// at once, or on the goroutine of the task that returns last.
func (g *Group) End(then func()) {
	g.cancel()
	g.mu.Lock()
	g.ended = true
	now := g.running == 0
	if then != nil && !now {
		g.then = append(g.then, then)
	}
	g.mu.Unlock()
	if then != nil && now {
		then()
	}
}

// Running is how many tasks of the group are running.
func (g *Group) Running() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.running
}
