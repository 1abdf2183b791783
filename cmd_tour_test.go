package main

import (
	"bytes"
	"strings"
	"testing"

	"tweedie/tui"
	"tweedie/tui/tour"
)

func TestTourCommand(t *testing.T) {
	got := noScreen(t)
	var stdout, stderr bytes.Buffer
	if code := realMain([]string{"tour", "--stop", "5", "--lang", "zh", "--image", "3", "--steps", "50"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if got.Tour != (tui.TourOptions{Stop: 5, Lang: tour.Zh}) || got.Image != 3 || got.Settings.Steps != 50 {
		t.Errorf("options: tour %+v, image %d, steps %d", got.Tour, got.Image, got.Settings.Steps)
	}
	*got = tui.Options{}
	if code := realMain([]string{"tour"}, &stdout, &stderr); code != 0 || got.Tour.Stop != 1 || got.Tour.Lang != "" {
		t.Errorf("tour without flags: exit %d, tour %+v", code, got.Tour)
	}
}

func TestTourCommandBadFlags(t *testing.T) {
	noScreen(t)
	n := tui.TourStops()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--stop", "0"}, "--stop"},
		{[]string{"--stop", "99"}, "from 1 to"},
		{[]string{"--stop", "five"}, "--stop"},
		{[]string{"--stop", ""}, "--stop"},
		{[]string{"--lang", "fr"}, "--lang"},
		{[]string{"--lang", "zh_CN"}, "--lang"},
		{[]string{"--op", "sr:factor=4"}, "--op: each stop"},
		{[]string{"--method", "dps"}, "--method"},
		{[]string{"--zeta", "1"}, "--zeta"},
		{[]string{"--sigma", "0.1"}, "--sigma"},
		{[]string{"--steps", "0"}, "--steps"},
		{[]string{"stray"}, "unexpected argument"},
	} {
		var stdout, stderr bytes.Buffer
		code := realMain(append([]string{"tour"}, c.args...), &stdout, &stderr)
		msg := stderr.String()
		if code != 2 || !strings.HasPrefix(msg, "tweedie tour: ") || !strings.Contains(msg, c.want) || strings.Count(msg, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", c.args, code, msg, c.want)
		}
	}
	if n < 8 || n > 12 {
		t.Errorf("%d stops", n)
	}
	var stdout, stderr bytes.Buffer
	if code := realMain([]string{"tour", "-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "--stop") || !strings.Contains(stdout.String(), "--lang") {
		t.Errorf("tour -h: exit %d, %q", code, stdout.String())
	}
}
