package worker

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Ending every process a worker started, on Linux.
//
// A worker runs in a process group of its own, but a process it starts can
// leave that group (setsid: a daemon, a server a model starts) and a kill
// of the group does not reach it. So tweedie is a child subreaper
// (PR_SET_CHILD_SUBREAPER): a process whose parent exits is re-parented to
// tweedie rather than to init, and stays among tweedie's descendants. Each
// worker gets an id in its environment (EnvWorkerID), which its
// descendants inherit. When a worker ends, endProcesses stops and kills, in
// rounds until none is left,
//
//   - the worker's process group,
//   - the worker and every process descending from it, whatever its
//     session or group, and
//   - every descendant of tweedie whose environment holds the worker's id
//     (a process re-parented to tweedie after its parent exited),
//
// and reaps those that became tweedie's children. A process that both
// leaves the worker's tree while its parent exits and clears its
// environment cannot be attributed to its worker.

// subreaper makes the process a child subreaper, once.
var subreaper = sync.OnceFunc(func() {
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
})

// endRounds bounds the rounds of endProcesses (a process forking as it is
// killed is caught by the next round).
const endRounds = 10

// endProcesses kills the worker cmd runs (its group, its descendants and
// every descendant of tweedie that holds the worker's id), and reaps the
// processes killed that are tweedie's children other than the worker
// itself, which os/exec waits for. Once the worker has been waited for
// (exited), its process id may be another's: only its group and its id
// are followed then.
func endProcesses(cmd *exec.Cmd, id string, exited bool) {
	if cmd.Process == nil {
		return
	}
	pid := cmd.Process.Pid
	killGroup(cmd)
	self := os.Getpid()
	killed := map[int]bool{}
	for range endRounds {
		ps := scanProcs()
		targets := map[int]bool{}
		if !exited {
			targets = ps.under(pid)
		}
		for p, pr := range ps {
			if pr.pgrp == pid { // a group's id is not reused while it has members
				targets[p] = true
			}
		}
		for p := range ps.under(self) {
			if p != self && !targets[p] && ps[p].state != 'Z' && holdsID(p, id) {
				targets[p] = true
			}
		}
		var live []int
		for p := range targets {
			killed[p] = true
			if ps[p].state != 'Z' {
				live = append(live, p)
			}
		}
		if len(live) == 0 {
			break
		}
		for _, p := range live {
			_ = syscall.Kill(p, syscall.SIGSTOP) // no more forks
		}
		for _, p := range live {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	}
	delete(killed, pid)
	reap(killed)
}

// reap waits for the processes killed that are, or become within a
// second, tweedie's children (re-parented to it, the subreaper).
func reap(pids map[int]bool) {
	deadline := time.Now().Add(time.Second)
	for len(pids) > 0 && time.Now().Before(deadline) {
		for p := range pids {
			var ws syscall.WaitStatus
			got, err := syscall.Wait4(p, &ws, syscall.WNOHANG, nil)
			switch {
			case got == p:
				delete(pids, p) // reaped
			case errors.Is(err, syscall.ECHILD):
				if syscall.Kill(p, 0) != nil {
					delete(pids, p) // gone: another parent reaped it
				}
			}
		}
		if len(pids) > 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// holdsID reports whether process p's environment holds the worker id.
func holdsID(p int, id string) bool {
	env, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/environ")
	if err != nil {
		return false
	}
	want := []byte(EnvWorkerID + "=" + id)
	for _, kv := range bytes.Split(env, []byte{0}) {
		if bytes.Equal(kv, want) {
			return true
		}
	}
	return false
}

// proc is a process's state, parent and process group from /proc/PID/stat.
type proc struct {
	state      byte
	ppid, pgrp int
}

// procs are the processes by id.
type procs map[int]proc

// scanProcs reads every process's parent and state.
func scanProcs() procs {
	ps := procs{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return ps
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if p, ok := parseStat(string(b)); ok {
			ps[pid] = p
		}
	}
	return ps
}

// parseStat reads the state, parent and group of a /proc/PID/stat line,
// "pid (comm) S ppid pgrp …", whose comm may hold spaces and parentheses.
func parseStat(s string) (proc, bool) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return proc{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 3 || len(f[0]) != 1 {
		return proc{}, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgrp, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		return proc{}, false
	}
	return proc{state: f[0][0], ppid: ppid, pgrp: pgrp}, true
}

// under returns root and every process descending from it.
func (ps procs) under(root int) map[int]bool {
	children := map[int][]int{}
	for p, pr := range ps {
		children[pr.ppid] = append(children[pr.ppid], p)
	}
	out := map[int]bool{}
	if _, ok := ps[root]; ok {
		out[root] = true
	}
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			if !out[c] {
				out[c] = true
				queue = append(queue, c)
			}
		}
	}
	return out
}
