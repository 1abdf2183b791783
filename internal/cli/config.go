package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// MaxFileSize bounds a config file, checked before it is read.
const MaxFileSize = 1 << 20

// File is a parsed config file: the defaults it gives to flags, by the
// command they are for ("" for every command) and the flag's name.
//
// The file is TOML. A key at the top sets the flag of that name of every
// command that has it; a key in a table [COMMAND] (or [COMMAND.SUB] for a
// subcommand such as `prior export`) sets it for that command only, over
// the top. A value is what the flag takes on the command line: a string,
// a number or a boolean; an array is the comma-separated list of its items.
type File struct {
	Path    string
	Entries []Entry
}

// Entry is one key of a config file.
type Entry struct {
	// Command is the command path below the root ("run", "prior export"),
	// "" for a key at the top.
	Command string
	// Flag is the flag's name, Value its text as on the command line.
	Flag, Value string
	// Line is the key's line in the file, from 1.
	Line int
}

// Where is "PATH:LINE", the place of the entry in f.
func (f *File) Where(e Entry) string { return fmt.Sprintf("%s:%d", f.Path, e.Line) }

// ReadFile reads and parses a config file. A missing file is not an
// error when optional: it gives nil.
func ReadFile(path string, optional bool) (*File, error) {
	fh, err := os.Open(path)
	if optional && errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	} else if fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", path, fi.Size(), MaxFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: more than %d bytes", path, MaxFileSize)
	}
	return ParseFile(path, data)
}

// ParseFile parses the TOML of a config file. Its errors name the file
// and the line: "PATH:LINE: what is wrong".
func ParseFile(path string, data []byte) (*File, error) {
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, _ := de.Position()
			return nil, fmt.Errorf("%s:%d: %s", path, line, strings.TrimPrefix(de.Error(), "toml: "))
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	lines, err := keyLines(data)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", path, err)
	}
	f := &File{Path: path}
	if err := f.add(nil, doc, lines); err != nil {
		return nil, err
	}
	slices.SortFunc(f.Entries, func(a, b Entry) int { return a.Line - b.Line })
	return f, nil
}

// add adds the keys of table t, at key path prefix.
func (f *File) add(prefix []string, t map[string]any, lines map[string]int) error {
	for k, v := range t {
		key := append(slices.Clone(prefix), k)
		line := lineOf(lines, key)
		if sub, ok := v.(map[string]any); ok {
			if err := f.add(key, sub, lines); err != nil {
				return err
			}
			continue
		}
		text, err := valueText(v)
		if err != nil {
			return fmt.Errorf("%s:%d: %s: %w", f.Path, line, strings.Join(key, "."), err)
		}
		f.Entries = append(f.Entries, Entry{Command: strings.Join(prefix, " "), Flag: k, Value: text, Line: line})
	}
	return nil
}

// valueText is a TOML value as a flag's text.
func valueText(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case []any:
		items := make([]string, len(v))
		for i, x := range v {
			if _, nested := x.([]any); nested {
				return "", errors.New("an array of arrays: want a list of values")
			}
			s, err := valueText(x)
			if err != nil {
				return "", err
			}
			items[i] = s
		}
		return strings.Join(items, ","), nil
	case time.Time, toml.LocalDate, toml.LocalDateTime, toml.LocalTime:
		return "", errors.New("a date or time: want a string, a number or a boolean")
	}
	return "", fmt.Errorf("a %T: want a string, a number or a boolean", v)
}

// keyLines maps each key path (parts joined by NUL) of a TOML document to
// the line it is set on.
func keyLines(data []byte) (map[string]int, error) {
	lines := map[string]int{}
	var p unstable.Parser
	p.Reset(data)
	var table []string
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			table = keyParts(e.Key())
		case unstable.ArrayTable:
			key := e.Key()
			key.Next()
			return nil, fmt.Errorf("%d: an array of tables: want [COMMAND] tables", p.Shape(key.Node().Raw).Start.Line)
		case unstable.KeyValue:
			key := append(slices.Clone(table), keyParts(e.Key())...)
			lines[strings.Join(key, "\x00")] = p.Shape(e.Raw).Start.Line
		}
	}
	return lines, p.Error()
}

// lineOf is the line of a key, or of the nearest key path above it that
// has one (a key of an inline table).
func lineOf(lines map[string]int, key []string) int {
	for n := len(key); n > 0; n-- {
		if l, ok := lines[strings.Join(key[:n], "\x00")]; ok {
			return l
		}
	}
	return 0
}

func keyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

// DefaultPath is the config file NAME in the user's configuration
// directory: $XDG_CONFIG_HOME/tweedie/NAME, or ~/.config/tweedie/NAME when
// XDG_CONFIG_HOME is unset or not absolute (the XDG base directory rule).
func DefaultPath(environ []string, name string) string {
	dir := LookupEnv(environ, "XDG_CONFIG_HOME")
	if !filepath.IsAbs(dir) {
		home := LookupEnv(environ, "HOME")
		if home == "" {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "tweedie", name)
}

// LookupEnv is the value of NAME in environ ("NAME=value" entries; the
// last wins, as for os.Getenv).
func LookupEnv(environ []string, name string) string {
	v := ""
	for _, kv := range environ {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}
