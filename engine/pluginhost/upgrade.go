package pluginhost

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// upgradePlan is a destructive change of one content type that the plugin
// migrates: the new values of every entry, checked against the new
// definition before anything was written.
type upgradePlan struct {
	typ     string
	version int // the stored definition's version
	entries []upgradeEntry
}

type upgradeEntry struct {
	id                 string
	live               bool
	latestRev, liveRev string
	draft, liveFields  json.RawMessage // migrated values; liveFields only when the live revision is not the latest
}

// upgradeRow is an entry of the type with its latest and live values.
type upgradeRow struct {
	ID        string          `bun:"id"`
	Live      bool            `bun:"live"`
	LatestRev *string         `bun:"latest_revision_id"`
	LiveRev   *string         `bun:"live_revision_id"`
	DraftJSON json.RawMessage `bun:"draft_fields"`
	LiveJSON  json.RawMessage `bun:"live_fields"`
}

// isDestructive returns the stored definition of ct when ct changes it
// destructively (nil when the type is new or the change is additive).
func (p *instance) storedIfDestructive(ctx context.Context, ct *contenttypes.ContentType) (*registry.Type, []string, error) {
	old, err := p.m.cfg.Types.Get(ctx, ct.Key)
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var destructive []string
	for _, c := range contenttypes.Diff(&old.ContentType, ct) {
		if c.Destructive {
			destructive = append(destructive, fmt.Sprintf("%s %s", c.Path, c.Op))
		}
	}
	if len(destructive) == 0 {
		return nil, nil, nil
	}
	return old, destructive, nil
}

// planUpgrade asks the plugin to migrate every entry of ct (its latest
// draft, and its live version when that is another revision) and checks
// each result against ct. Any failure refuses the plugin, naming the entry
// and the diagnostics; nothing has been written.
func (p *instance) planUpgrade(ctx context.Context, pr *process, pc *protocol.Client, old *registry.Type, ct *contenttypes.ContentType) (*upgradePlan, error) {
	var rows []upgradeRow
	if err := p.m.cfg.DB.NewSelect().TableExpr("entries AS e").
		ColumnExpr("e.id, e.live, e.latest_revision_id, e.live_revision_id").
		ColumnExpr("d.fields AS draft_fields").ColumnExpr("l.fields AS live_fields").
		Join("LEFT JOIN revisions AS d ON d.id = e.latest_revision_id").
		Join("LEFT JOIN revisions AS l ON l.id = e.live_revision_id").
		Where("e.type_key = ?", ct.Key).OrderExpr("e.id").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("error reading the entries of %s to upgrade: %w", ct.Key, err)
	}
	from, err := json.Marshal(old.ContentType)
	if err != nil {
		return nil, err
	}
	plan := &upgradePlan{typ: ct.Key, version: old.Version}
	var problems []string
	migrate := func(id, which string, fields json.RawMessage) json.RawMessage {
		var resp *pluginv1.UpgradeResponse
		if err := p.rawCall(ctx, pr, "Upgrade", p.m.cfg.CallTimeout, func(ctx context.Context) (err error) {
			resp, err = pc.Upgrade(ctx, &pluginv1.UpgradeRequest{Type: ct.Key, EntryId: id, FieldsJson: fields,
				FromDefinitionJson: from, FromVersion: int32(old.Version)})
			return err
		}); err != nil {
			problems = append(problems, fmt.Sprintf("entry %s (%s): %v", id, which, err))
			return nil
		}
		if diags := convertDiagnostics(resp.GetDiagnostics()); diags.HasError() {
			problems = append(problems, fmt.Sprintf("entry %s (%s): the plugin refused: %s", id, which, diags.Errors().Error()))
			return nil
		}
		if _, diags := ct.Prepare(resp.GetFieldsJson(), nil); diags.HasError() {
			problems = append(problems, fmt.Sprintf("entry %s (%s): the upgraded values do not fit the new definition: %s", id, which, diags.Errors().Error()))
			return nil
		}
		return resp.GetFieldsJson()
	}
	for _, r := range rows {
		e := upgradeEntry{id: r.ID, live: r.Live}
		if r.LatestRev != nil {
			e.latestRev = *r.LatestRev
		}
		if r.LiveRev != nil {
			e.liveRev = *r.LiveRev
		}
		e.draft = migrate(r.ID, "latest revision", r.DraftJSON)
		if r.Live && e.liveRev != e.latestRev {
			e.liveFields = migrate(r.ID, "live revision", r.LiveJSON)
		}
		plan.entries = append(plan.entries, e)
		if len(problems) >= 10 {
			break
		}
	}
	if len(problems) > 0 {
		return nil, refuse(StatusFailed, "upgrade of content type %q refused, nothing changed: %s", ct.Key, strings.Join(problems, "; "))
	}
	return plan, nil
}

// applyUpgrades saves the migrated values as new revisions by the plugin,
// once it runs (its own hooks see the saves): a live entry is published
// again with its migrated live values, and a pending draft stays a draft
// on top. An entry an editor changed in the meantime is left alone (the
// editor's save was checked against the new definition already).
func (p *instance) applyUpgrades(ctx context.Context, plans []*upgradePlan) {
	es := p.m.cfg.Entries
	if es == nil {
		p.m.log.Error("plugin upgrade: no entry service; migrated values not saved", "plugin", p.name)
		return
	}
	actor := PluginPrincipal(p.name)
	for _, plan := range plans {
		msg := fmt.Sprintf("upgrade by plugin %s: %s from definition version %d", p.name, plan.typ, plan.version)
		saved, failed := 0, 0
		for _, e := range plan.entries {
			if err := applyOne(ctx, es, actor, e, msg); err != nil {
				failed++
				p.m.log.Warn("plugin upgrade: entry not migrated", "plugin", p.name, "type", plan.typ, "entry", e.id, "err", err)
				continue
			}
			saved++
		}
		p.m.log.Info("plugin upgrade applied", "plugin", p.name, "type", plan.typ, "from_version", plan.version, "entries", saved, "skipped", failed)
	}
}

func applyOne(ctx context.Context, es EntryService, actor auth.Principal, e upgradeEntry, msg string) error {
	base := e.latestRev
	save := func(fields json.RawMessage) (string, error) {
		d, err := es.Save(ctx, actor, e.id, entries.SaveInput{Fields: fields, BaseRevisionID: base, Message: msg})
		if err != nil {
			return "", err
		}
		if d.LatestRevisionID == nil {
			return "", fmt.Errorf("entry %s: saved without a revision", e.id)
		}
		base = *d.LatestRevisionID
		return base, nil
	}
	publish := func(rev string) error {
		_, err := es.Publish(ctx, actor, e.id, entries.PublishInput{RevisionID: rev, Message: msg})
		return err
	}
	switch {
	case e.live && e.liveFields != nil:
		// Live, with a pending draft: publish the migrated live values,
		// then put the migrated draft back on top.
		rev, err := save(e.liveFields)
		if err != nil {
			return err
		}
		if err := publish(rev); err != nil {
			return err
		}
		_, err = save(e.draft)
		return err
	case e.live:
		rev, err := save(e.draft)
		if err != nil {
			return err
		}
		return publish(rev)
	default:
		_, err := save(e.draft)
		return err
	}
}

// upgradeDeclared reports whether the plugin migrates values of typ.
func upgradeDeclared(meta *pluginv1.GetMetadataResponse, typ string) bool {
	return slices.Contains(meta.GetUpgradeTypes(), typ)
}
