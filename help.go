package main

import (
	"embed"
	"errors"
	"io/fs"
	"strings"
)

// helpFiles hold each command's help text, help/NAME.txt (NAME the
// command's path below the root joined by "-"; tweedie.txt for the root):
// its short line first, then its text, then "Examples:" and one example a
// line ("# …" a comment, "  …" the continuation of a line ending in "\").
//
//go:embed help/*.txt
var helpFiles embed.FS

// helpDoc is a command's short line, text and examples. It panics when
// the file is missing: they are embedded, and the tests read every one.
func helpDoc(name string) (short, long, example string) {
	text := readHelp(name)
	short, rest, _ := strings.Cut(text, "\n")
	long, example, _ = strings.Cut(rest, "\nExamples:\n")
	return short, strings.TrimSpace(long), strings.TrimRight(example, "\n")
}

// exitStatusHelp is a command's exit statuses: help/NAME-exit-status.txt,
// else those every command shares.
func exitStatusHelp(name string) string {
	if b, err := helpFiles.ReadFile("help/" + name + "-exit-status.txt"); err == nil {
		return string(b)
	} else if !errors.Is(err, fs.ErrNotExist) {
		panic(err)
	}
	return readHelp("exit-status")
}

func readHelp(name string) string {
	b, err := helpFiles.ReadFile("help/" + name + ".txt")
	if err != nil {
		panic(err)
	}
	return string(b)
}
