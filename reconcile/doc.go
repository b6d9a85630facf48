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
// # Graph, rules and views
//
// A Graph records observations of identifiers seen together (Link, or
// LinkMany for bulk loads, or LinkRecords for an identity-links file, which
// reports rejected records by their line) in an append-only log with their times, and
// resolves them into profiles under Rules: unique namespaces (at most one
// CRM ID per profile), a namespace priority, a cap on identities per profile
// and on identifiers per record, and a blocklist of values that identify
// nobody in your data (a record is linked without them; values idtypes
// refuses everywhere, such as test@test.com or the SHA-256 of a blank value,
// never get that far). Resolution replays the records of each
// connected component from newest to oldest, joining each record's
// identifiers highest priority first and cutting any join a rule forbids, so
// on a shared device the last authenticated user wins. The result does not
// depend on the order records arrive in. Every cut is reported (View.Cuts),
// and Simulate says what records would change without changing the graph.
//
// Graph.View returns an immutable View: identity ordinal to profile, and
// profile to members. A new view re-resolves only the components touched
// since the previous one and shares the rest of its pages with it.
//
// # Profile numbers
//
// A Profile is a number, and a set of profiles a Profiles: a bitmap of
// numbers with the View it was made under. View.Key gives a profile's key,
// its member of highest priority. Numbers are dense and stable:
//
//   - A graph resolved in one go (its first view, or a graph loaded from a
//     snapshot) numbers its profiles 0..P-1 in the order of their keys'
//     ordinals. That numbering depends on the dictionary, the records and
//     the rules alone.
//   - A later view keeps the number of every profile whose key is the key
//     of a profile of the view before, however its members changed, and
//     numbers the other profiles from View.Numbers() up. So an audience
//     stays valid while unrelated links arrive, and numbers depend on how
//     records were batched into views: two graphs with the same profiles may
//     number them differently, so compare profiles across graphs by key.
//   - A number dies when its profile merges into another, or its key moves
//     to another profile (a CRM ID joins an anonymous profile, a shared
//     device's newest login wins) or is erased, and the graph never hands it
//     to another profile. View.Project maps profiles made under any view
//     of the graph onto another view through the key each number had: a
//     merged profile becomes the one it merged into, a profile whose key
//     moved follows its key, and one whose key was erased drops out.
//   - Dead numbers leave holes: View.Numbers() - View.Len() of them, one per
//     profile merged away (j-1 for a merge of j profiles) or re-keyed since
//     the graph was resolved in one go. A graph where no profile merges or
//     changes key has none. An audience of a tenth of the profiles takes
//     about 10 * Numbers() / Len() bits per member as a portable bitmap
//     once the profiles are many, so holes below a tenth of the numbers
//     keep it under 11 bits.
//   - A snapshot stores no profiles: loading resolves the records in one go,
//     so a loaded graph has the same profiles with the same keys, numbered
//     afresh. Audiences that must outlive the process go in the Catalog,
//     which keeps identity ordinals and is unaffected.
//
// # Typed profile sets
//
// Profiles are made by a view and remember it: View.Profiles (every
// profile), View.ProfilesOf (the profiles of identity ordinals, such as
// Dictionary.Ordinals gives), View.Project (profiles of another view of the
// graph), View.AsProfiles (the one checked door from raw numbers, such as a
// bitmap read back from Profiles.Audience), and the results of Join,
// Import, Diff and Catalog.Get. Because a set carries its view, a flow
// knows in O(1) whether it must project it: not at all for a set made under
// its own view, nor, while no identity was erased since, for one made under
// another view of the graph with no profile number having died in between.
// And a bitmap of identity ordinals cannot be passed where profiles are
// expected. Profiles.Audience gives the numbers for bitmap algebra,
// bitmap.WriteTo or Overlap.
//
// Graph.Erase (right to erasure), the one way to erase, tombstones
// identifiers, drops them from every record, re-resolves the profiles they
// were in and reports, per Catalog audience, the profiles that exited.
// Erased identifiers never come back from a view, an export or a snapshot.
//
// # Audience flows
//
// Import maps identifier files (any reader of package idfile) onto a View's
// profiles with a funnel report; ImportOptions.Register makes unknown
// identifiers profiles of their own. Export and WriteExport map profiles back
// to the identifiers a destination accepts, reporting the profiles that had
// none. Join and JoinLen combine sets of profiles made under different views
// in one view's profile space. Overlap compares named audiences of one
// space, such as the Profiles.Audience of sets projected onto one view
// (sizes, intersections, Jaccard, one-directional shares, a privacy floor). Diff and
// WriteDelta write full or incremental membership files with the statuses
// realized and exited. A Catalog keeps named audiences with the graph.
//
// LinkRecords and Import take a Progress callback in their options: it is
// called on the caller's goroutine every ProgressEvery lines and once at
// the end, never once per line.
//
// # Snapshots
//
// Graph.WriteTo and ReadGraph, or Graph.WriteFile and ReadGraphFile on a
// path, store and restore a
// whole graph: dictionary (erased identifiers as salted digests only),
// records, rules and catalog, in a versioned format with a CRC-32C per section
// (see the comment at the top of snapshot.go). WriteFile writes by the rules
// of idfile.WriteFile (atomic replace, links kept, devices written through). ReadGraph treats its input as untrusted: a truncated, corrupted
// or foreign file gives a *SnapshotError matching ErrFormat, ErrVersion or
// ErrCorrupt, never a panic or an allocation beyond what the input holds.
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
// The graph's writes fail with ErrInvalid, ErrErased, ErrFull, ErrTooMany,
// ErrTime or ErrGraphFull (the graph's log holds as many records or record
// entries as it can address, about 2^32 of each: the record is refused and
// the graph left as it was) inside a *RecordError; NewGraph and ReplayGraph
// refuse invalid Rules with ErrRules. ErrErased and ErrBlocklisted report an identifier dropped from a
// record that was linked without it. The flows fail
// with ErrForeignView (a view or profiles of another graph), ErrJoinOp and
// ErrNoNamespace; View.AsProfiles with ErrNotProfile, and the catalog with
// ErrAudienceName.
//
// # Concurrency
//
// Every Dictionary method is safe for concurrent use. Lookup, LookupMany, ID,
// NamespaceOf, Erased and Len take no lock and never wait. Add locks one of
// 64 shards; AddMany runs one call at a time and holds the shards it touches
// while it assigns a block of ordinals; Erase locks one shard; Namespace
// builds its audiences lazily under its own lock. An ordinal whose add is in
// progress is counted by Len before ID can read it back.
//
// Graph and Catalog are safe for concurrent use: links, erasures, views,
// snapshots and audiences may come from any goroutine. A View is immutable and
// safe for any number of readers, also while the graph changes, and so are
// the flows, which only read views and audiences. Views hold no mutable
// state, and Profiles are immutable values.
package reconcile
