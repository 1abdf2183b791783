package worker

import "testing"

func TestParseStat(t *testing.T) {
	for line, want := range map[string]proc{
		"123 (sleep) S 45 120 120 0 -1":           {ppid: 45, pgrp: 120, state: 'S'},
		"123 (a b) (c)) Z 1 123 123 0 -1 4194304": {ppid: 1, pgrp: 123, state: 'Z'},
		"7 () R 0 7": {ppid: 0, pgrp: 7, state: 'R'},
	} {
		if got, ok := parseStat(line); !ok || got != want {
			t.Errorf("parseStat(%q) = %+v, %v; want %+v", line, got, ok, want)
		}
	}
	for _, bad := range []string{"", "123 (x", "123 (x) S", "123 (x) SS 1", "123 (x) S y 1", "123 (x) S 1"} {
		if got, ok := parseStat(bad); ok {
			t.Errorf("parseStat(%q) = %+v, accepted", bad, got)
		}
	}
}

func TestUnder(t *testing.T) {
	ps := procs{1: {ppid: 0}, 10: {ppid: 1}, 11: {ppid: 10}, 12: {ppid: 11}, 13: {ppid: 1}, 14: {ppid: 13}}
	got := ps.under(10)
	if len(got) != 3 || !got[10] || !got[11] || !got[12] {
		t.Errorf("under(10) = %v, want 10, 11, 12", got)
	}
	if got := ps.under(99); len(got) != 0 {
		t.Errorf("under(99) = %v, want none", got)
	}
}
