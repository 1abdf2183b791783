//go:build !unix

package serve

import "errors"

func raiseOpenFiles() (soft, hard uint64, err error) {
	return 0, 0, errors.New("no limit on open files to raise here")
}
