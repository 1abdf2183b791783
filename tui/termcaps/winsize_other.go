//go:build !unix

package termcaps

import "errors"

// Winsize is not available here: it returns an error.
func Winsize(fd int) (cols, rows int, cell Size, err error) {
	return 0, 0, Size{}, errors.New("no terminal size without Unix")
}
