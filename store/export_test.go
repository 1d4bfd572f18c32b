package store

import "context"

// MigrateTo applies the pending migrations numbered up to last, as Migrate
// does: tests of a migration start from the schema before it.
func (s *Store) MigrateTo(ctx context.Context, last int) ([]int, error) { return s.migrate(ctx, last) }

// Apply runs the statements of m again, as Migrate would after an
// interruption that left m unrecorded.
func (s *Store) Apply(ctx context.Context, m Migration) error {
	steps, err := s.stepsFor(m)
	if err != nil {
		return err
	}
	return s.apply(ctx, m, steps)
}
