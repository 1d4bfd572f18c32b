//go:build !linux

package chdb

import "errors"

func keepSignals(func() error) error {
	return errors.New("chDB's libchdb.so is installed for linux/amd64 only")
}
