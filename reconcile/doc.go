// Package reconcile works out who is who: it turns identifiers into dense
// ordinals, links them into profiles, and maps audiences between identifier
// and profile space.
//
// # Dictionary
//
// A Dictionary maps each idtypes.ID to a uint32 ordinal handed out in arrival
// order (0, 1, 2, ...) and back. Ordinals are permanent and dense, so sets of
// them compress well as bitmap.Audience values. The dictionary is append-only:
// Erase tombstones an ordinal, which is never reused, and an erased
// identifier can never be added again (Add fails with ErrErased).
//
// Adds from one goroutine get consecutive ordinals with no gaps, and so does
// each AddMany call (in slice order, in blocks of 262,144 identifiers).
// Adds from several goroutines interleave but still leave no gaps: every
// ordinal below Len is handed to exactly one identifier.
//
// The dictionary has its own hash table: identifiers hash by their canonical
// binary key (idtypes.ID.AppendBinary) with xxhash under a per-dictionary
// random seed, so crafted identifiers cannot flood one bucket. It keeps each
// key once, in arenas of bytes, and about 20 bytes per identifier besides.
//
// # Zero values and errors
//
// The zero Dictionary is empty and ready to use, like one from NewDictionary.
// Add and
// AddMany fail with ErrInvalid (the zero ID), ErrErased or ErrFull (all
// 2^32-1 ordinals taken); AddMany reports its failures in an *AddError that
// unwraps to one of these. NoOrdinal marks an unresolved identifier in bulk
// results. Match errors with errors.Is and errors.As.
//
// # Concurrency
//
// Every Dictionary method is safe for concurrent use. Lookup, LookupMany, ID,
// NamespaceOf, Erased and Len take no lock and never wait. Add locks one of
// 64 shards; AddMany runs one call at a time and holds the shards it touches
// while it assigns a block of ordinals; Erase locks one shard; Namespace
// builds its audiences lazily under its own lock. An ordinal whose add is in
// progress is counted by Len before ID can read it back.
package reconcile
