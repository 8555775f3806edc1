//! Environment variables: every production variable of every copied service and env
//! group gets exactly one disposition.
//!
//! Each variable starts from a safe default (non-secret values are carried, secrets become
//! operator-provided, values that point at a production resource are rewired to its
//! staging copy, resource names inside values follow renames). Then the overlay's rules
//! apply in a fixed order of actions — set, replace, secret, generate, rewire, group,
//! drop — so a later action always wins over an earlier one whatever the file order.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::spec::{Action, EnvRule, Overlay};
use super::*;
use crate::model::identity::Production;
use crate::model::{self, Match, ResourceKind, Snapshot};
use crate::pattern::Pattern;

/// An env group's variables: key → (state, what decided it, the service it moved from).
type GroupVars = BTreeMap<String, (State, Option<Cause>, String)>;

pub(super) struct EnvOutcome {
    /// Production service name → its staging variables and staging group names.
    pub service_vars: HashMap<String, (Vec<StagingVar>, Vec<String>)>,
    pub groups: Vec<StagingEnvGroup>,
    pub records: Vec<EnvRecord>,
    pub steps: Vec<ManualStep>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Owner {
    Service(usize),
    Group(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Literal(String),
    Operator(Option<String>),
    Generate,
    Ref(VarSource),
    Dropped(String),
    /// Points at a production resource that is not copied: an error unless a rule decides.
    Unresolved(String),
}

#[derive(Debug, Clone)]
struct Slot<'s> {
    owner: Owner,
    key: String,
    prod: Option<&'s model::EnvVar>,
    state: State,
    /// `None`: the default applied (no rule decided it).
    cause: Option<Cause>,
    /// Why the state differs from production when no rule decided it.
    auto: Option<Cause>,
    /// The `group`/`ungroup` rule that moved it. A move decides where the variable
    /// lives, never its value: the value keeps its disposition and protection.
    moved: Option<Cause>,
    /// Where in the overlay that rule is, for problems found when the move is carried out.
    moved_at: Option<String>,
    into_group: Option<usize>,
    to_services: bool,
}

impl Slot<'_> {
    /// What decided the variable, for records and provenance: the rule that set its
    /// value, else the rule that moved it, else the automatic reason.
    fn decided(&self) -> Option<Cause> {
        self.cause
            .clone()
            .or_else(|| self.moved.clone())
            .or_else(|| self.auto.clone())
    }
}

/// What every env pass reads: the snapshot, the overlay and the copied resources.
struct Ctx<'s> {
    snapshot: &'s Snapshot,
    overlay: &'s Overlay,
    production: &'s Production,
    names: &'s Names,
    copied_services: BTreeMap<usize, &'s model::Service>,
    copied_groups: BTreeMap<usize, &'s model::EnvGroup>,
}

impl<'s> Ctx<'s> {
    fn new(
        snapshot: &'s Snapshot,
        overlay: &'s Overlay,
        production: &'s Production,
        names: &'s Names,
    ) -> Self {
        let copied_services = snapshot
            .services
            .iter()
            .enumerate()
            .filter(|(_, s)| names.is_copied(ResourceKind::Service, &s.name))
            .collect();
        let copied_groups = snapshot
            .env_groups
            .iter()
            .enumerate()
            .filter(|(_, g)| names.is_copied(ResourceKind::EnvGroup, &g.name))
            .collect();
        Ctx {
            snapshot,
            overlay,
            production,
            names,
            copied_services,
            copied_groups,
        }
    }

    fn owner_name(&self, o: Owner) -> &'s str {
        match o {
            Owner::Service(i) => self.snapshot.services[i].name.as_str(),
            Owner::Group(i) => self.snapshot.env_groups[i].name.as_str(),
        }
    }

    fn staging_owner(&self, o: Owner) -> String {
        let (kind, name) = match o {
            Owner::Service(_) => (ResourceKind::Service, self.owner_name(o)),
            Owner::Group(_) => (ResourceKind::EnvGroup, self.owner_name(o)),
        };
        self.names
            .staging(kind, name)
            .unwrap_or_default()
            .to_string()
    }
}

/// Where each variable ends up once the moves are carried out.
struct Placed {
    service_vars: BTreeMap<usize, BTreeMap<String, (VarSource, Option<Cause>)>>,
    group_vars: BTreeMap<usize, GroupVars>,
}

/// The env stage, as ordered passes over the production variables.
pub(super) fn resolve(
    snapshot: &Snapshot,
    overlay: &Overlay,
    production: &Production,
    names: &Names,
    services: &[(String, model::Service)],
    changes: &mut Vec<Change>,
    p: &mut Problems,
) -> EnvOutcome {
    super::secret_fields::check(snapshot, overlay, services, p);
    let cx = Ctx::new(snapshot, overlay, production, names);
    let mut slots = defaults(&cx);
    propagate_renames(&mut slots, snapshot, names);
    rules_by_action(&cx, &mut slots, p);
    production_out(&cx, &mut slots, p);
    let placed = moves(&cx, &slots, p);
    let (records, steps) = records(&cx, &slots, changes);
    assemble(&cx, placed, records, steps, p)
}

/// Pass 1: every variable of a copied service or env group, rewired to staging.
fn defaults<'s>(cx: &Ctx<'s>) -> Vec<Slot<'s>> {
    let (snapshot, names) = (cx.snapshot, cx.names);
    let mut slots: Vec<Slot> = Vec::new();
    for (&i, s) in &cx.copied_services {
        for v in &s.env_vars {
            slots.push(initial(Owner::Service(i), v, snapshot, names));
        }
    }
    for (&i, g) in &cx.copied_groups {
        for v in &g.env_vars {
            let mut slot = initial(Owner::Group(i), v, snapshot, names);
            if matches!(slot.state, State::Ref(_)) {
                // Groups hold only literal and generated values.
                slot.to_services = true;
                slot.auto = Some(Cause::auto(
                    "env groups cannot reference resources, so the rewired value moves onto the linked services",
                ));
            }
            slots.push(slot);
        }
    }
    slots
}

/// Pass 3: the overlay's env rules, one action at a time, then the rules that matched nothing.
fn rules_by_action<'s>(cx: &Ctx<'s>, slots: &mut Vec<Slot<'s>>, p: &mut Problems) {
    let (snapshot, overlay, production, names) = (cx.snapshot, cx.overlay, cx.production, cx.names);
    let owner_name = |o: Owner| cx.owner_name(o);
    let rules = &overlay.file.env;
    check_rule_targets(rules, snapshot, names, p);
    let mut matched = vec![0usize; rules.len()];
    for action in [
        Action::Set,
        Action::Replace,
        Action::Secret,
        Action::Generate,
        Action::Rewire,
        Action::Group,
        Action::Drop,
    ] {
        for (ri, rule) in rules.iter().enumerate() {
            if rule.actions().len() != 1 || rule.action() != action {
                continue;
            }
            let path = format!("env[{ri}]");
            let cause = Cause::rule(
                overlay.locations.span(&path),
                format!("env {} `{}`", rule.actions()[0].0, rule.key),
            );
            // A set value that points at production is the Blueprint check's to refuse
            // (exit 2, below), even when it also looks secret; the secret refusal covers
            // the rest, and any value a `replace` might still rewrite.
            if action == Action::Set
                && !(set_points_at_production(rule, rules, production, overlay))
                && set_is_secret(rule, &path, overlay, p)
            {
                matched[ri] += 1;
                continue;
            }
            if action == Action::Set {
                matched[ri] += add_missing(
                    rule,
                    slots,
                    snapshot,
                    &cx.copied_services,
                    &cx.copied_groups,
                    &cause,
                );
            }
            let pattern = Pattern::new(&rule.key);
            for slot in slots.iter_mut() {
                if !pattern.matches(&slot.key)
                    || !(rule.on.is_empty() || rule.on.iter().any(|n| n == owner_name(slot.owner)))
                {
                    continue;
                }
                if slot.prod.is_none()
                    && action == Action::Set
                    && matches!(&slot.state, State::Literal(v) if Some(v) == rule.set.as_ref())
                {
                    continue; // just added by this rule
                }
                // A value that points at production is a finding of the Blueprint check
                // (exit 2, located at this rule), whatever else is wrong with it: the same
                // outcome as a production value a default carried. Nothing is written
                // while it stands, and no message quotes it.
                // Only when no `replace` can change the value afterwards: a replaced value
                // might no longer point at production and would then be written.
                let replaceable = rule.set.as_deref().is_some_and(|v| {
                    replace_rewrites(rules, v, |r| {
                        Pattern::new(&r.key).matches(&slot.key)
                            && (r.on.is_empty() || r.on.iter().any(|n| n == owner_name(slot.owner)))
                    })
                });
                if action == Action::Set
                    && !replaceable
                    && rule
                        .set
                        .as_deref()
                        .is_some_and(|v| points_at_production(v, production, overlay))
                {
                    slot.state = State::Literal(rule.set.clone().unwrap_or_default());
                    slot.cause = Some(cause.clone());
                    matched[ri] += 1;
                    continue;
                }
                if apply_rule(cx, rule, &path, slot, &cause, p) {
                    matched[ri] += 1;
                }
            }
        }
    }
    for (ri, rule) in rules.iter().enumerate() {
        if matched[ri] == 0 && rule.actions().len() == 1 {
            let scope = if rule.on.is_empty() {
                "any copied service or env group".to_string()
            } else {
                rule.on.join(", ")
            };
            let what = match rule.action() {
                Action::Replace => format!(
                    "replace rule for `{}` changed no value in {scope}",
                    rule.key
                ),
                Action::Group if rule.ungroup.is_some() => format!(
                    "no env group variable `{}` in {scope} to move out",
                    rule.key
                ),
                _ => format!("env rule `{}` matches no variable in {scope}", rule.key),
            };
            let left_out = left_out_owner(rule, snapshot, names);
            let hint = if left_out.is_some() {
                left_out
            } else if rule.action() == Action::Set
                && Pattern::new(&rule.key).is_literal()
                && rule.on.is_empty()
            {
                Some(
                    "to add a variable production does not have, name where with `on: [service]`"
                        .to_string(),
                )
            } else {
                key_suggestion(&rule.key, slots)
            };
            p.at(&format!("env[{ri}].key"), what, hint);
        }
    }
}

/// Pass 4: no production value reaches staging; a reference left unresolved is a problem.
fn production_out(cx: &Ctx, slots: &mut [Slot], p: &mut Problems) {
    let (snapshot, overlay, production) = (cx.snapshot, cx.overlay, cx.production);
    let owner_name = |o: Owner| cx.owner_name(o);
    keep_production_out(slots, production, overlay);
    for slot in slots.iter() {
        if let State::Unresolved(msg) = &slot.state {
            let target = slot
                .prod
                .and_then(|v| v.refers_to.as_ref())
                .map(|r| r.name.as_str())
                .unwrap_or_default();
            let suspended = slot
                .prod
                .and_then(|v| v.refers_to.as_ref())
                .is_some_and(|r| super::is_suspended(snapshot, r.resource, &r.name));
            let copy = if suspended {
                format!(
                    "it is suspended in production: copy it deliberately with select.includeSuspended: [{target}]"
                )
            } else {
                "copy that resource (select)".to_string()
            };
            p.at(
                &selection_path(overlay, snapshot, target),
                format!("{} on {} `{}` {msg}", slot.key, owner_kind(slot.owner), owner_name(slot.owner)),
                Some(format!(
                    "{copy}, or decide the variable: env: [{{key: {}, on: [{}], set: …}}] (or secret/fromDatabase/fromService/drop)",
                    slot.key,
                    owner_name(slot.owner)
                )),
            );
        }
    }
}

/// Pass 5: variables move between services and env groups as the rules said.
fn moves(cx: &Ctx, slots: &[Slot], p: &mut Problems) -> Placed {
    let snapshot = cx.snapshot;
    let owner_name = |o: Owner| cx.owner_name(o);
    let mut service_vars: BTreeMap<usize, BTreeMap<String, (VarSource, Option<Cause>)>> =
        BTreeMap::new();
    let mut group_vars: BTreeMap<usize, GroupVars> = BTreeMap::new();
    for &i in cx.copied_services.keys() {
        service_vars.entry(i).or_default();
    }
    for &i in cx.copied_groups.keys() {
        group_vars.entry(i).or_default();
    }
    let mut moved_out: Vec<(usize, &Slot)> = Vec::new();
    for slot in slots {
        let decided = slot.decided();
        match (slot.owner, &slot.state) {
            (_, State::Dropped(_)) | (_, State::Unresolved(_)) => {}
            (Owner::Group(g), _) if slot.to_services => moved_out.push((g, slot)),
            (Owner::Service(_), state) if slot.into_group.is_some() => {
                let g = slot.into_group.unwrap();
                let entry = group_vars.entry(g).or_default();
                let from = owner_name(slot.owner).to_string();
                match entry.get(&slot.key) {
                    Some((existing, _, first)) if existing != state => p.at(
                        "env",
                        format!("`{}` moves into env group `{}` from `{first}` and `{from}` with different values", slot.key, snapshot.env_groups[g].name),
                        Some(format!("make the values agree first (env set with on: [{first}, {from}])")),
                    ),
                    _ => {
                        entry.insert(slot.key.clone(), (state.clone(), decided.clone(), from));
                    }
                }
            }
            (Owner::Service(i), state) => {
                if let Some(source) = source_of(state) {
                    service_vars
                        .entry(i)
                        .or_default()
                        .insert(slot.key.clone(), (source, decided.clone()));
                }
            }
            (Owner::Group(g), state) => {
                let entry = group_vars.entry(g).or_default();
                match entry.get(&slot.key) {
                    Some((moved, _, from)) if moved != state => p.at(
                        "env",
                        format!("`{}` moves into env group `{}` from `{from}`, which already holds it with a different value", slot.key, snapshot.env_groups[g].name),
                        Some(format!("drop one of them, or make the values agree (env set with on: [{from}, {}])", snapshot.env_groups[g].name)),
                    ),
                    _ => {
                        entry.insert(
                            slot.key.clone(),
                            (state.clone(), decided.clone(), String::new()),
                        );
                    }
                }
            }
        }
    }
    for (g, slot) in &moved_out {
        let Some(source) = source_of(&slot.state) else {
            continue;
        };
        let group = &snapshot.env_groups[*g].name;
        if !cx
            .copied_services
            .values()
            .any(|s| s.env_groups.iter().any(|n| n == group))
        {
            // Out of the group and onto no service: the variable would vanish.
            p.at(
                slot.moved_at.as_deref().unwrap_or("env"),
                format!(
                    "`{}` moves out of env group `{group}` onto the services that link it, but no copied service links `{group}`: it would be lost",
                    slot.key
                ),
                Some(
                    "set it on the services that need it (env set with on: [...]), or copy a service that links the group".to_string(),
                ),
            );
            continue;
        }
        for (&i, s) in &cx.copied_services {
            if !s
                .env_groups
                .iter()
                .any(|n| n == &snapshot.env_groups[*g].name)
            {
                continue;
            }
            // A variable set on the service itself wins over the group's, as on Render.
            service_vars
                .entry(i)
                .or_default()
                .entry(slot.key.clone())
                .or_insert((source.clone(), slot.decided()));
        }
    }

    Placed {
        service_vars,
        group_vars,
    }
}

/// Pass 6: a record, the manual steps and the provenance of every variable.
fn records(
    cx: &Ctx,
    slots: &[Slot],
    changes: &mut Vec<Change>,
) -> (Vec<EnvRecord>, Vec<ManualStep>) {
    let staging_owner = |o: Owner| cx.staging_owner(o);
    let owner_name = |o: Owner| cx.owner_name(o);
    let mut records = Vec::new();
    let mut steps = Vec::new();
    for slot in slots {
        let record = record_for(
            slot,
            cx.snapshot,
            cx.names,
            &staging_owner,
            owner_name(slot.owner),
        );
        if let Some(change) = change_for(slot, &staging_owner) {
            changes.push(change);
        }
        steps.extend(steps_for(slot, &staging_owner(slot.owner), &record));
        records.push(record);
    }

    (records, steps)
}

/// The staging variables of every copied service and env group.
fn assemble(
    cx: &Ctx,
    placed: Placed,
    records: Vec<EnvRecord>,
    mut steps: Vec<ManualStep>,
    p: &mut Problems,
) -> EnvOutcome {
    let (snapshot, names) = (cx.snapshot, cx.names);
    let Placed {
        service_vars,
        group_vars,
    } = placed;
    let mut out_services = HashMap::new();
    for (i, vars) in service_vars {
        let s = &snapshot.services[i];
        let env = vars
            .into_iter()
            .map(|(key, (source, _))| StagingVar { key, source })
            .collect();
        let groups: Vec<String> = s
            .env_groups
            .iter()
            .filter_map(|g| names.staging(ResourceKind::EnvGroup, g).map(str::to_string))
            .collect();
        for g in &s.env_groups {
            if !names.is_copied(ResourceKind::EnvGroup, g)
                && snapshot.env_groups.iter().any(|x| &x.name == g)
            {
                p.at(
                    "select",
                    format!("service `{}` uses env group `{g}`, which is not copied: its variables would silently be missing", s.name),
                    Some(format!("copy the group too, or move what the service needs onto it with env rules (on: [{}])", s.name)),
                );
            }
        }
        out_services.insert(s.name.clone(), (env, groups));
    }
    let mut groups = Vec::new();
    for (g, vars) in group_vars {
        let prod = &snapshot.env_groups[g];
        let name = names
            .staging(ResourceKind::EnvGroup, &prod.name)
            .unwrap_or_default()
            .to_string();
        let mut env = Vec::new();
        let mut operator_secrets = Vec::new();
        for (key, (state, _, _)) in vars {
            match state {
                State::Literal(v) => env.push(StagingVar {
                    key,
                    source: VarSource::Value(v),
                }),
                State::Generate => env.push(StagingVar {
                    key,
                    source: VarSource::Generate,
                }),
                State::Operator(note) => operator_secrets.push(OperatorSecret { key, note }),
                State::Ref(_) | State::Dropped(_) | State::Unresolved(_) => {}
            }
        }
        let linked_services = snapshot
            .services
            .iter()
            .filter(|s| s.env_groups.contains(&prod.name))
            .filter_map(|s| {
                names
                    .staging(ResourceKind::Service, &s.name)
                    .map(str::to_string)
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for key in &operator_secrets {
            steps.push(ManualStep {
                kind: StepKind::GroupSecret,
                resource: name.clone(),
                what: format!("{}{}", key.key, key.note.as_ref().map(|n| format!(": {n}")).unwrap_or_default()),
                action: format!(
                    "after the first sync, set {} in Dashboard → Env Groups → {name}, or PUT /v1/env-groups/{{envGroupId}}/env-vars/{}",
                    key.key, key.key
                ),
            });
        }
        groups.push(StagingEnvGroup {
            production_name: prod.name.clone(),
            name,
            env,
            operator_secrets,
            secret_files: prod.secret_files.iter().map(|f| f.name.clone()).collect(),
            linked_services,
        });
    }
    EnvOutcome {
        service_vars: out_services,
        groups,
        records,
        steps,
    }
}

/// The overlay line that left `name` out: the `select.exclude` entry matching it,
/// `select` for a suspended resource nothing brought in, or `select.include` when
/// nothing included it.
fn selection_path(overlay: &Overlay, snapshot: &Snapshot, name: &str) -> String {
    let select = &overlay.file.select;
    let suspended = snapshot
        .resource_names()
        .any(|(k, n)| n == name && super::is_suspended(snapshot, k, n));
    match select
        .exclude
        .iter()
        .position(|p| Pattern::new(p).matches(name))
    {
        Some(i) => format!("select.exclude[{i}]"),
        None if suspended => "select".into(),
        None => "select.include".into(),
    }
}

/// Why a production resource that exists is not copied, for `is not copied` errors.
fn not_copied_note(snapshot: &Snapshot, kinds: &[ResourceKind], name: &str) -> String {
    if kinds
        .iter()
        .any(|k| super::is_suspended(snapshot, *k, name))
    {
        format!("it is suspended in production; copy it with select.includeSuspended: [{name}]")
    } else {
        "see select".into()
    }
}

fn owner_kind(o: Owner) -> &'static str {
    match o {
        Owner::Service(_) => "service",
        Owner::Group(_) => "env group",
    }
}

fn initial<'s>(owner: Owner, v: &'s model::EnvVar, snapshot: &Snapshot, names: &Names) -> Slot<'s> {
    let mut slot = Slot {
        owner,
        key: v.key.clone(),
        prod: Some(v),
        state: match &v.value {
            Some(value) if v.secret.is_none() => State::Literal(value.clone()),
            _ => State::Operator(None),
        },
        cause: None,
        auto: None,
        moved: None,
        moved_at: None,
        into_group: None,
        to_services: false,
    };
    if let Some(r) = &v.refers_to {
        if !names.is_copied(r.resource, &r.name) {
            slot.state = State::Unresolved(format!(
                "points at production {} `{}`, which is not copied to staging",
                r.resource.as_str(),
                r.name
            ));
            return slot;
        }
        let how = if r.matched == Match::Contains {
            "contained"
        } else {
            "was"
        };
        let what = format!(
            "production {} `{}` {}",
            r.resource.as_str(),
            r.name,
            r.property
        );
        match internal_form(r, owner, snapshot) {
            Ok(r) => {
                if let Some(source) = reference_source(&r, names) {
                    let note = if r.property
                        != v.refers_to
                            .as_ref()
                            .map(|x| x.property.clone())
                            .unwrap_or_default()
                    {
                        "; staging uses the internal form on the same region's private network"
                    } else {
                        ""
                    };
                    slot.auto = Some(Cause::auto(format!("value {how} {what}{note}")));
                    slot.state = State::Ref(source);
                }
            }
            Err(why) => {
                slot.auto = Some(Cause::auto(format!("value {how} {what}; {why}")));
                slot.state =
                    State::Operator(Some(format!("the staging copy's {} ({why})", r.property)));
            }
        }
    }
    slot
}

/// A Blueprint reference gives a resource's internal connection string, pooled connection
/// string and host. A production value that used an external form is rewired to the
/// internal one when the service runs in the resource's region; otherwise the operator
/// provides it.
fn internal_form(
    r: &model::Reference,
    owner: Owner,
    snapshot: &Snapshot,
) -> Result<model::Reference, String> {
    let internal = match r.property.as_str() {
        "externalConnectionString" => "connectionString",
        "externalHost" => "host",
        "externalConnectionPoolString" => "connectionPoolString",
        _ => return Ok(r.clone()),
    };
    let target_region = match r.resource {
        ResourceKind::Database => snapshot
            .databases
            .iter()
            .find(|d| d.name == r.name)
            .and_then(|d| d.region.clone()),
        ResourceKind::KeyValue => snapshot
            .key_values
            .iter()
            .find(|k| k.name == r.name)
            .and_then(|k| k.region.clone()),
        _ => None,
    };
    let owner_region = match owner {
        Owner::Service(i) => snapshot.services[i].region.clone(),
        Owner::Group(_) => None,
    };
    match (owner_region, target_region) {
        (Some(a), Some(b)) if a == b => Ok(model::Reference {
            property: internal.into(),
            ..r.clone()
        }),
        (Some(a), Some(b)) => Err(format!(
            "the service runs in {a} and the {} in {b}, out of reach of its private network",
            r.resource.as_str()
        )),
        _ => Err("a Blueprint reference gives only the internal form".into()),
    }
}

/// The staging reference for a production reference, when its target is copied.
fn reference_source(r: &model::Reference, names: &Names) -> Option<VarSource> {
    let staging = names.staging(r.resource, &r.name)?.to_string();
    Some(match r.resource {
        ResourceKind::Database => VarSource::FromDatabase {
            name: staging,
            property: r.property.clone(),
        },
        ResourceKind::KeyValue => VarSource::FromService {
            service_type: "keyvalue".into(),
            name: staging,
            property: Some(r.property.clone()),
            env_var_key: None,
        },
        ResourceKind::Service => {
            let kind = names.service_kind(&r.name)?;
            let (property, env_var_key) = match r.property.strip_prefix("envVarKey:") {
                Some(k) => (None, Some(k.to_string())),
                None => (Some(r.property.clone()), None),
            };
            VarSource::FromService {
                service_type: kind.blueprint_type().into(),
                name: staging,
                property,
                env_var_key,
            }
        }
        ResourceKind::EnvGroup => return None,
    })
}

/// A value no rule decided that still holds a production identity (a custom domain, a
/// host, an id) would point staging at production: by default the operator provides it
/// instead, unless an allowance names that identity. A value a rule produced is left for
/// validation to refuse, since the rule's author must fix it.
fn keep_production_out(slots: &mut [Slot], production: &Production, overlay: &Overlay) {
    let allowed = overlay.allowed_targets();
    for slot in slots.iter_mut().filter(|s| s.cause.is_none()) {
        let State::Literal(value) = &slot.state else {
            continue;
        };
        let hits = production.matches(value);
        let unallowed: Vec<&crate::model::identity::Needle> = hits
            .iter()
            .map(|h| &production.needles[h.needle])
            .filter(|n| {
                !allowed.contains(&n.text) && !allowed.contains(&n.owner.name.to_ascii_lowercase())
            })
            .collect();
        let Some(first) = unallowed.first() else {
            continue;
        };
        let why = format!(
            "value contains {} `{}` of {}",
            first.what,
            first.text,
            first.owner.describe()
        );
        slot.state = State::Operator(Some(format!("a staging value ({why})")));
        slot.auto = Some(Cause::auto(format!(
            "{why}; the operator provides a staging value unless a rule decides it"
        )));
    }
}

/// Whether the value of a `set` rule points at production and no `replace` rule could
/// rewrite it afterwards (a rule whose key is a pattern counts as rewritable by any
/// `replace`), so that the isolation check is certain to refuse it.
fn set_points_at_production(
    rule: &EnvRule,
    rules: &[EnvRule],
    production: &Production,
    overlay: &Overlay,
) -> bool {
    let Some(value) = rule.set.as_deref() else {
        return false;
    };
    let key = Pattern::new(&rule.key);
    let replaceable = replace_rewrites(rules, value, |r| {
        !key.is_literal() || Pattern::new(&r.key).matches(&rule.key)
    });
    !replaceable && points_at_production(value, production, overlay)
}

/// Whether a `replace` rule that `applies` would change `value`: one of its strings
/// occurs in it.
fn replace_rewrites(rules: &[EnvRule], value: &str, applies: impl Fn(&EnvRule) -> bool) -> bool {
    rules.iter().any(|r| {
        r.actions().len() == 1
            && r.action() == Action::Replace
            && applies(r)
            && r.replace.as_ref().is_some_and(|pairs| {
                pairs
                    .keys()
                    .any(|from| !from.is_empty() && value.contains(from.as_str()))
            })
    })
}

/// Whether `value` holds a production identity no allowance covers, so that the
/// isolation check is certain to refuse the Blueprint that carries it.
fn points_at_production(value: &str, production: &Production, overlay: &Overlay) -> bool {
    let allowed = overlay.allowed_targets();
    // As the isolation check judges it: per production resource, covered when an
    // allowance names the resource or any of its identities the value holds.
    let mut by_owner: BTreeMap<String, bool> = BTreeMap::new();
    for h in production.matches(value) {
        let n = &production.needles[h.needle];
        let owner = n.owner.name.to_ascii_lowercase();
        let covered = allowed.contains(&n.text) || allowed.contains(&owner);
        *by_owner.entry(owner).or_insert(false) |= covered;
    }
    by_owner.values().any(|covered| !covered)
}

/// Literal values that name a copied resource (as a whole word) name its staging copy.
fn propagate_renames(slots: &mut [Slot], snapshot: &Snapshot, names: &Names) {
    let renames: HashMap<&str, &str> = snapshot
        .resource_names()
        .filter_map(|(k, n)| names.staging(k, n).filter(|s| *s != n).map(|s| (n, s)))
        .collect();
    if renames.is_empty() {
        return;
    }
    for slot in slots.iter_mut() {
        let State::Literal(value) = &slot.state else {
            continue;
        };
        let mut out = String::with_capacity(value.len());
        let mut renamed = Vec::new();
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String, renamed: &mut Vec<String>| {
            if let Some(to) = renames.get(word.as_str()) {
                renamed.push(word.clone());
                out.push_str(to);
            } else {
                out.push_str(word);
            }
            word.clear();
        };
        for c in value.chars() {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                word.push(c);
            } else {
                flush(&mut word, &mut out, &mut renamed);
                out.push(c);
            }
        }
        flush(&mut word, &mut out, &mut renamed);
        if !renamed.is_empty() {
            slot.auto = Some(Cause::auto(format!(
                "names renamed resource `{}`",
                renamed.join("`, `")
            )));
            slot.state = State::Literal(out);
        }
    }
}

/// `on:` must name copied services or env groups.
fn check_rule_targets(rules: &[EnvRule], snapshot: &Snapshot, names: &Names, p: &mut Problems) {
    for (ri, rule) in rules.iter().enumerate() {
        for (i, name) in rule.on.iter().enumerate() {
            let path = format!("env[{ri}].on[{i}]");
            let is_service = snapshot.services.iter().any(|s| &s.name == name);
            let is_group = snapshot.env_groups.iter().any(|g| &g.name == name);
            if !is_service && !is_group {
                let all: Vec<String> = snapshot
                    .services
                    .iter()
                    .map(|s| s.name.clone())
                    .chain(snapshot.env_groups.iter().map(|g| g.name.clone()))
                    .collect();
                let hint = crate::yaml::suggest(name, &all).map(|s| format!("did you mean `{s}`?"));
                p.at(
                    &path,
                    format!("`{name}` is not a production service or env group"),
                    hint,
                );
            } else if !(names.is_copied(ResourceKind::Service, name)
                || names.is_copied(ResourceKind::EnvGroup, name))
            {
                p.at(
                    &path,
                    format!(
                        "`{name}` is not copied to staging ({})",
                        not_copied_note(snapshot, &[ResourceKind::Service], name)
                    ),
                    None,
                );
            }
        }
        let check = |p: &mut Problems, field: &str, name: &str, kinds: &[ResourceKind]| {
            let exists = kinds.iter().any(|k| {
                snapshot
                    .resource_names()
                    .any(|(rk, n)| rk == *k && n == name)
            });
            if !exists {
                let all: Vec<String> = snapshot
                    .resource_names()
                    .filter(|(k, _)| kinds.contains(k))
                    .map(|(_, n)| n.to_string())
                    .collect();
                let hint = crate::yaml::suggest(name, &all).map(|s| format!("did you mean `{s}`?"));
                let what: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
                p.at(
                    &format!("env[{ri}].{field}"),
                    format!("`{name}` is not a production {}", what.join(" or ")),
                    hint,
                );
            } else if !kinds.iter().any(|k| names.is_copied(*k, name)) {
                p.at(
                    &format!("env[{ri}].{field}"),
                    format!(
                        "`{name}` is not copied to staging ({})",
                        not_copied_note(snapshot, kinds, name)
                    ),
                    None,
                );
            }
        };
        if let Some(d) = &rule.from_database {
            check(p, "fromDatabase.name", &d.name, &[ResourceKind::Database]);
        }
        if let Some(s) = &rule.from_service {
            check(
                p,
                "fromService.name",
                &s.name,
                &[ResourceKind::Service, ResourceKind::KeyValue],
            );
        }
        if let Some(g) = &rule.group {
            check(p, "group", g, &[ResourceKind::EnvGroup]);
        }
    }
}

/// A `set` value, whether it replaces a production value or adds a variable, passes the
/// classifier production values pass: one that looks secret would be committed in
/// render.yaml. Known token shapes and credentials are refused whatever; a value that is
/// secret only by its key name or its opaque look is accepted when an `allow` entry names
/// the key (with its reason).
fn set_is_secret(rule: &EnvRule, path: &str, overlay: &Overlay, p: &mut Problems) -> bool {
    let Some(value) = &rule.set else { return false };
    let Some(why) = crate::secrets::Classifier::default().classify(&rule.key, value) else {
        return false;
    };
    let by_shape = crate::secrets::secret_shape(value).is_some();
    if !by_shape
        && overlay
            .file
            .allow
            .iter()
            .any(|a| a.target.trim() == rule.key)
    {
        return false;
    }
    let hint = if by_shape {
        "use `secret: \"what to set\"` and set the value in the Render dashboard".to_string()
    } else {
        format!(
            "use `secret: \"what to set\"` and set the value in the Render dashboard; if this value is meant to be public, add `allow: [{{target: {}, reason: …}}]`",
            rule.key
        )
    };
    p.at(
        &format!("{path}.set"),
        format!(
            "the value set for `{}` looks like a secret ({why}); it would be committed in render.yaml",
            rule.key
        ),
        Some(hint),
    );
    true
}

/// A `set` with an exact key and `on` adds the variable where production lacks it.
fn add_missing<'s>(
    rule: &EnvRule,
    slots: &mut Vec<Slot<'s>>,
    snapshot: &Snapshot,
    services: &BTreeMap<usize, &model::Service>,
    groups: &BTreeMap<usize, &model::EnvGroup>,
    cause: &Cause,
) -> usize {
    let Some(value) = &rule.set else { return 0 };
    if rule.on.is_empty() || !Pattern::new(&rule.key).is_literal() {
        return 0;
    }
    let mut added = 0;
    for name in &rule.on {
        let owner = services
            .keys()
            .find(|i| &snapshot.services[**i].name == name)
            .map(|i| Owner::Service(*i))
            .or_else(|| {
                groups
                    .keys()
                    .find(|i| &snapshot.env_groups[**i].name == name)
                    .map(|i| Owner::Group(*i))
            });
        let Some(owner) = owner else { continue };
        if slots.iter().any(|s| s.owner == owner && s.key == rule.key) {
            continue;
        }
        slots.push(Slot {
            owner,
            key: rule.key.clone(),
            prod: None,
            state: State::Literal(value.clone()),
            cause: Some(cause.clone()),
            auto: None,
            moved: None,
            moved_at: None,
            into_group: None,
            to_services: false,
        });
        added += 1;
    }
    added
}

fn apply_rule(
    cx: &Ctx,
    rule: &EnvRule,
    path: &str,
    slot: &mut Slot,
    cause: &Cause,
    p: &mut Problems,
) -> bool {
    let (snapshot, names, groups) = (cx.snapshot, cx.names, &cx.copied_groups);
    match rule.action() {
        Action::Set => {
            let value = rule.set.clone().unwrap_or_default();
            slot.state = State::Literal(value);
        }
        Action::Replace => {
            let State::Literal(value) = &slot.state else {
                return false;
            };
            let mut pairs: Vec<(&String, &String)> = rule
                .replace
                .as_ref()
                .map(|r| r.iter().collect())
                .unwrap_or_default();
            // Longest first, so `api.example.com` is replaced before `example.com`.
            pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(b.0)));
            let new = replace_all(value, &pairs);
            if &new == value {
                return false;
            }
            // What a replace writes is typed in the overlay like a `set`: a token or
            // credentials it puts into a value would be committed.
            if let Some(why) = crate::secrets::secret_shape(&new)
                && crate::secrets::secret_shape(value).is_none()
            {
                p.at(
                    &format!("{path}.replace"),
                    format!(
                        "the value this replace gives `{}` looks like a secret ({why}); it would be committed in render.yaml",
                        slot.key
                    ),
                    Some("use `secret: \"what to set\"` and set the value in the Render dashboard".into()),
                );
                return true;
            }
            slot.state = State::Literal(new);
        }
        Action::Secret => slot.state = State::Operator(rule.secret.clone()),
        Action::Generate => slot.state = State::Generate,
        Action::Rewire => {
            let source = if let Some(d) = &rule.from_database {
                names
                    .staging(ResourceKind::Database, &d.name)
                    .map(|n| VarSource::FromDatabase {
                        name: n.to_string(),
                        property: d.property.as_str().to_string(),
                    })
            } else if let Some(s) = &rule.from_service {
                let kv = snapshot.key_values.iter().any(|k| k.name == s.name);
                let staging = names
                    .staging(
                        if kv {
                            ResourceKind::KeyValue
                        } else {
                            ResourceKind::Service
                        },
                        &s.name,
                    )
                    .map(str::to_string);
                let service_type = if kv {
                    "keyvalue".to_string()
                } else {
                    snapshot
                        .service(&s.name)
                        .map(|x| x.kind.blueprint_type().to_string())
                        .unwrap_or_default()
                };
                if let Some(prop) = &s.property {
                    let ok: &[&str] = if kv {
                        &["connectionString", "host", "port"]
                    } else {
                        &["host", "port", "hostport"]
                    };
                    if !ok.contains(&prop.as_str()) {
                        p.at(
                            &format!("{path}.fromService.property"),
                            format!(
                                "`{prop}` is not a property of a {}",
                                if kv { "key value" } else { "service" }
                            ),
                            Some(format!("allowed: {}", ok.join(", "))),
                        );
                    }
                }
                staging.map(|name| VarSource::FromService {
                    service_type,
                    name,
                    property: s.property.clone(),
                    env_var_key: s.env_var_key.clone(),
                })
            } else {
                None
            };
            // An unknown or uncopied name is reported by check_rule_targets.
            let Some(source) = source else { return true };
            if let Owner::Group(_) = slot.owner {
                slot.to_services = true;
            }
            slot.state = State::Ref(source);
        }
        Action::Group => {
            if rule.ungroup.is_some() {
                let Owner::Group(_) = slot.owner else {
                    return false;
                };
                slot.to_services = true;
                slot.moved_at = Some(format!("{path}.ungroup"));
            } else {
                let Owner::Service(si) = slot.owner else {
                    p.at(
                        &format!("{path}.group"),
                        format!(
                            "`{}` is already in an env group; `group` moves service variables",
                            slot.key
                        ),
                        None,
                    );
                    return true;
                };
                if let State::Ref(_) = slot.state {
                    p.at(
                        &format!("{path}.group"),
                        format!(
                            "`{}` references a resource, which an env group cannot hold",
                            slot.key
                        ),
                        Some("keep it on the service".into()),
                    );
                    return true;
                }
                let name = rule.group.as_deref().unwrap_or_default();
                let service = &snapshot.services[si];
                if groups.values().any(|g| g.name == name)
                    && !service.env_groups.iter().any(|n| n == name)
                {
                    // The variable would leave the service for a group it does not read.
                    p.at(
                        &format!("{path}.group"),
                        format!(
                            "`{}` moves from service `{}` into env group `{name}`, which `{}` does not link: the service would lose it",
                            slot.key, service.name, service.name
                        ),
                        Some(if service.env_groups.is_empty() {
                            format!("`{}` links no env group; keep the variable on the service", service.name)
                        } else {
                            format!("move it into a group `{}` links: {}", service.name, service.env_groups.join(", "))
                        }),
                    );
                    return true;
                }
                match groups.iter().find(|(_, g)| g.name == name) {
                    Some((&gi, _)) => slot.into_group = Some(gi),
                    None => return true,
                }
            }
            slot.moved = Some(cause.clone());
            return true;
        }
        Action::Drop => slot.state = State::Dropped(rule.drop.clone().unwrap_or_default()),
    }
    slot.cause = Some(cause.clone());
    true
}

fn replace_all(value: &str, pairs: &[(&String, &String)]) -> String {
    // One left-to-right scan: at each position the longest `from` that matches wins, and
    // replaced text is never scanned again (so `a → ab` cannot loop or cascade).
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    let bytes = value.as_bytes();
    while i < bytes.len() {
        if let Some((from, to)) = pairs
            .iter()
            .find(|(from, _)| value[i..].starts_with(from.as_str()))
        {
            out.push_str(to);
            i += from.len();
        } else {
            let c = value[i..].chars().next().expect("in bounds");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// A rule that matched nothing because the variables it names live only on resources
/// that are not copied: say which, and for a suspended one how to bring it in.
fn left_out_owner(rule: &EnvRule, snapshot: &Snapshot, names: &Names) -> Option<String> {
    let pattern = Pattern::new(&rule.key);
    let services = snapshot
        .services
        .iter()
        .map(|s| (ResourceKind::Service, &s.name, &s.env_vars));
    let groups = snapshot
        .env_groups
        .iter()
        .map(|g| (ResourceKind::EnvGroup, &g.name, &g.env_vars));
    let (kind, name) = services
        .chain(groups)
        .filter(|(k, n, _)| !names.is_copied(*k, n))
        .filter(|(_, n, _)| rule.on.is_empty() || rule.on.contains(n))
        .find(|(_, _, vars)| vars.iter().any(|v| pattern.matches(&v.key)))
        .map(|(k, n, _)| (k, n))?;
    Some(if super::is_suspended(snapshot, kind, name) {
        format!(
            "it is on {} `{name}`, which is suspended in production and so not copied: copy it with select.includeSuspended: [{name}], or remove the rule",
            kind.as_str()
        )
    } else {
        format!(
            "it is on {} `{name}`, which is not copied (see select): copy it, or remove the rule",
            kind.as_str()
        )
    })
}

fn key_suggestion(key: &str, slots: &[Slot]) -> Option<String> {
    let keys: Vec<String> = slots
        .iter()
        .map(|s| s.key.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    crate::yaml::suggest(key, &keys).map(|k| format!("did you mean `{k}`?"))
}

fn source_of(state: &State) -> Option<VarSource> {
    match state {
        State::Literal(v) => Some(VarSource::Value(v.clone())),
        State::Operator(n) => Some(VarSource::Operator(n.clone())),
        State::Generate => Some(VarSource::Generate),
        State::Ref(s) => Some(s.clone()),
        State::Dropped(_) | State::Unresolved(_) => None,
    }
}

pub(crate) fn describe_source(s: &VarSource) -> String {
    match s {
        VarSource::Value(v) => format!("value {}", crate::yaml::comment_text(v)),
        VarSource::Generate => "generateValue".into(),
        VarSource::Operator(Some(n)) => format!("sync: false ({n})"),
        VarSource::Operator(None) => "sync: false".into(),
        VarSource::FromDatabase { name, property } => format!("fromDatabase {name} {property}"),
        VarSource::FromService {
            service_type,
            name,
            property,
            env_var_key,
        } => match (property, env_var_key) {
            (Some(p), _) => format!("fromService {service_type} {name} {p}"),
            (None, Some(k)) => format!("fromService {service_type} {name} envVarKey {k}"),
            _ => format!("fromService {service_type} {name}"),
        },
    }
}

fn record_for(
    slot: &Slot,
    snapshot: &Snapshot,
    names: &Names,
    staging_owner: &dyn Fn(Owner) -> String,
    production_owner: &str,
) -> EnvRecord {
    let secret = slot.prod.is_some_and(|v| v.is_secret());
    let production_value = slot.prod.and_then(|v| v.value.clone()).filter(|_| !secret);
    let cause = slot.decided();
    let (disposition, detail) = match (&slot.state, slot.into_group, slot.to_services) {
        (State::Dropped(reason), ..) => (Disposition::Dropped, reason.clone()),
        (State::Unresolved(msg), ..) => (Disposition::Dropped, msg.clone()),
        (_, Some(g), _) => (
            Disposition::MovedToGroup,
            format!(
                "into env group {}",
                names
                    .staging(ResourceKind::EnvGroup, &snapshot.env_groups[g].name)
                    .unwrap_or_default()
            ),
        ),
        (state, _, true) => (
            Disposition::MovedToServices,
            format!(
                "onto the group's services as {}",
                source_of(state)
                    .map(|s| describe_source(&s))
                    .unwrap_or_default()
            ),
        ),
        (State::Ref(s), ..) => (Disposition::Rewired, describe_source(s)),
        (State::Generate, ..) => (Disposition::Generated, "generateValue".into()),
        (State::Operator(note), ..) => (
            Disposition::OperatorProvided,
            note.clone()
                .unwrap_or_else(|| match slot.prod.and_then(|v| v.secret.as_ref()) {
                    Some(s) => format!("classified secret ({})", s.rule),
                    None => "set by the operator".into(),
                }),
        ),
        (State::Literal(v), ..) => {
            let shown = if secret {
                "a literal value".to_string()
            } else {
                format!("value {}", crate::yaml::comment_text(v))
            };
            match slot.prod {
                None => (Disposition::Added, shown),
                Some(p) if p.value.as_ref() == Some(v) && !secret => (Disposition::Carried, shown),
                Some(_) => (Disposition::Replaced, shown),
            }
        }
    };
    EnvRecord {
        owner_kind: match slot.owner {
            Owner::Service(_) => "service",
            Owner::Group(_) => "envGroup",
        },
        production_owner: production_owner.to_string(),
        key: slot.key.clone(),
        staging_owner: Some(staging_owner(slot.owner)),
        secret,
        disposition,
        cause,
        detail,
        production_value,
        into_group: slot.into_group.map(|g| snapshot.env_groups[g].name.clone()),
    }
}

/// Provenance for a variable whose staging form differs from production.
fn change_for(slot: &Slot, staging_owner: &dyn Fn(Owner) -> String) -> Option<Change> {
    let secret = slot.prod.is_some_and(|v| v.is_secret());
    let unchanged = matches!((&slot.state, slot.prod), (State::Literal(v), Some(p)) if p.value.as_ref() == Some(v) && !secret)
        && slot.into_group.is_none()
        && !slot.to_services;
    let default_secret =
        matches!(slot.state, State::Operator(None)) && slot.cause.is_none() && slot.moved.is_none();
    if unchanged || default_secret {
        return None;
    }
    let cause = slot.decided()?;
    // A variable moved into a group lives there in the Blueprint.
    let owner = slot.into_group.map_or(slot.owner, Owner::Group);
    Some(Change {
        resource: staging_owner(owner),
        field: format!("envVars.{}", slot.key),
        production: slot.prod.and_then(|v| v.value.clone()).filter(|_| !secret),
        cause,
    })
}

fn steps_for(slot: &Slot, staging_owner: &str, record: &EnvRecord) -> Vec<ManualStep> {
    let mut steps = Vec::new();
    let Owner::Service(_) = slot.owner else {
        return steps;
    };
    match &slot.state {
        State::Operator(note) if slot.into_group.is_none() => steps.push(ManualStep {
            kind: StepKind::PromptedSecret,
            resource: staging_owner.to_string(),
            what: format!("{}: {}", slot.key, note.clone().unwrap_or_else(|| record.detail.clone())),
            action: format!(
                "Render asks for it when the Blueprint is first created; on an existing Blueprint set it in Dashboard → {staging_owner} → Environment, or PUT /v1/services/{{serviceId}}/env-vars/{}",
                slot.key
            ),
        }),
        State::Dropped(reason) if slot.prod.is_some() => steps.push(ManualStep {
            kind: StepKind::DroppedKey,
            resource: staging_owner.to_string(),
            what: format!("{} ({reason})", slot.key),
            action: format!(
                "if {staging_owner} already exists, delete it: Dashboard → {staging_owner} → Environment, or DELETE /v1/services/{{serviceId}}/env-vars/{}",
                slot.key
            ),
        }),
        State::Ref(source) if slot.prod.and_then(|v| v.refers_to.as_ref()).is_some_and(|r| r.matched == Match::Contains) && slot.cause.is_none() => {
            steps.push(ManualStep {
                kind: StepKind::PartialRewire,
                resource: staging_owner.to_string(),
                what: format!("{}: production's value wrapped the reference in other text (a path, query or scheme)", slot.key),
                action: format!(
                    "staging gets the bare {}; if the extra part matters, replace the rule with `set` or `secret` for {}",
                    describe_source(source),
                    slot.key
                ),
            });
        }
        _ => {}
    }
    steps
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// One service, one database and one env group that the service links.
    const SNAPSHOT: &str = include_str!("../../tests/fixtures/env-passes.snapshot.yaml");

    struct Fixture {
        snapshot: Snapshot,
        overlay: Overlay,
        production: Production,
        names: Names,
    }

    /// The snapshot above with everything copied under `-stg`, and an overlay whose env
    /// rules are `env` (YAML list items, one a line).
    fn fixture(env: &[&str]) -> Fixture {
        let snapshot = Snapshot::from_yaml(SNAPSHOT, Path::new("snapshot.yaml")).unwrap();
        let rules: String = env.iter().map(|r| format!("  - {r}\n")).collect();
        let text = format!("version: 1\nrename: {{suffix: -stg}}\nenv:\n{rules}");
        let text = if env.is_empty() {
            text.replace("env:\n", "")
        } else {
            text
        };
        let overlay = Overlay::parse(&text, Path::new("stageprint.yaml")).unwrap();
        let mut names = Names::default();
        let copied = snapshot
            .services
            .iter()
            .map(|s| (ResourceKind::Service, &s.name))
            .chain(
                snapshot
                    .databases
                    .iter()
                    .map(|d| (ResourceKind::Database, &d.name)),
            )
            .chain(
                snapshot
                    .env_groups
                    .iter()
                    .map(|g| (ResourceKind::EnvGroup, &g.name)),
            );
        for (kind, name) in copied {
            names
                .map
                .entry(kind)
                .or_default()
                .insert(name.clone(), format!("{name}-stg"));
        }
        for s in &snapshot.services {
            names.service_kinds.insert(s.name.clone(), s.kind);
        }
        let production = Production::new(&snapshot);
        Fixture {
            snapshot,
            overlay,
            production,
            names,
        }
    }

    impl Fixture {
        fn cx(&self) -> Ctx<'_> {
            Ctx::new(&self.snapshot, &self.overlay, &self.production, &self.names)
        }
    }

    /// The first three passes: defaults, renames, rules.
    fn through_rules<'s>(cx: &Ctx<'s>) -> (Vec<Slot<'s>>, Problems<'s>) {
        let mut slots = defaults(cx);
        propagate_renames(&mut slots, cx.snapshot, cx.names);
        let mut p = Problems {
            loc: &cx.overlay.locations,
            errors: Vec::new(),
        };
        rules_by_action(cx, &mut slots, &mut p);
        (slots, p)
    }

    /// A variable's state in a few words: `literal:VALUE`, `ref`, `operator`, …
    fn shown(state: &State) -> String {
        match state {
            State::Literal(v) => format!("literal:{v}"),
            State::Operator(_) => "operator".into(),
            State::Generate => "generate".into(),
            State::Ref(_) => "ref".into(),
            State::Dropped(_) => "dropped".into(),
            State::Unresolved(_) => "unresolved".into(),
        }
    }

    fn state_of(slots: &[Slot], key: &str) -> String {
        let found: Vec<String> = slots
            .iter()
            .filter(|s| s.key == key)
            .map(|s| shown(&s.state))
            .collect();
        found.join(",")
    }

    #[test]
    fn defaults_copy_every_variable_and_rewire_references() {
        let f = fixture(&[]);
        let slots = defaults(&f.cx());
        let table = [
            ("LOG_LEVEL", "literal:info"),
            ("API_URL", "literal:https://api.acme.example/v1"),
            ("SELF_URL", "literal:https://shop-web.onrender.com/hook"),
            ("SERVICE_ID", "literal:srv-aaaaaaaaaaaaaaaaaaa1"),
            ("DATABASE_URL", "ref"),
            ("FEATURE", "literal:on"),
        ];
        assert_eq!(slots.len(), table.len());
        for (key, want) in table {
            assert_eq!(state_of(&slots, key), want, "{key}");
        }
    }

    #[test]
    fn rules_by_action_decide_values_and_report_what_matches_nothing() {
        // (rules, key, state after the rules, a problem message must contain)
        let table: &[(&[&str], &str, &str, Option<&str>)] = &[
            (
                &["{key: LOG_LEVEL, set: debug}"],
                "LOG_LEVEL",
                "literal:debug",
                None,
            ),
            (&["{key: LOG_*, drop: noisy}"], "LOG_LEVEL", "dropped", None),
            (
                &["{key: API_URL, secret: ask ops}"],
                "API_URL",
                "operator",
                None,
            ),
            (
                &["{key: FEATURE, generate: true}"],
                "FEATURE",
                "generate",
                None,
            ),
            (
                &["{key: API_URL, replace: {api.acme.example: api.staging.example}}"],
                "API_URL",
                "literal:https://api.staging.example/v1",
                None,
            ),
            // The set rule runs before the replace rule, whatever their order in the file.
            (
                &[
                    "{key: API_URL, replace: {a.example: b.example}}",
                    "{key: API_URL, set: \"https://a.example\"}",
                ],
                "API_URL",
                "literal:https://b.example",
                None,
            ),
            (
                &["{key: NOT_THERE, set: x}"],
                "LOG_LEVEL",
                "literal:info",
                Some("matches no variable"),
            ),
            // A set rule with `on` and a plain key adds the variable where it is missing.
            (
                &["{key: LOG_LEVEL, on: [shop-shared], set: x}"],
                "LOG_LEVEL",
                "literal:info,literal:x",
                None,
            ),
            (
                &["{key: LOG_*, on: [shop-shared], drop: noisy}"],
                "LOG_LEVEL",
                "literal:info",
                Some("matches no variable"),
            ),
        ];
        for (rules, key, want, problem) in table {
            let f = fixture(rules);
            let cx = f.cx();
            let (slots, p) = through_rules(&cx);
            assert_eq!(state_of(&slots, key), *want, "{rules:?}");
            let messages: Vec<String> = p.errors.iter().map(|e| e.to_string()).collect();
            match problem {
                Some(text) => assert!(
                    messages.iter().any(|m| m.contains(text)),
                    "{rules:?}: {messages:?}"
                ),
                None => assert!(messages.is_empty(), "{rules:?}: {messages:?}"),
            }
        }
    }

    #[test]
    fn production_out_hands_production_values_to_the_operator_unless_a_rule_decided() {
        // (rules, key, state after the pass)
        let table: &[(&[&str], &str, &str)] = &[
            // The renames pass rewrote the production host; an id has no staging form.
            (
                &[],
                "SELF_URL",
                "literal:https://shop-web-stg.onrender.com/hook",
            ),
            (&[], "SERVICE_ID", "operator"),
            (&[], "API_URL", "literal:https://api.acme.example/v1"),
            (&[], "LOG_LEVEL", "literal:info"),
            (
                &["{key: SELF_URL, drop: not needed}"],
                "SELF_URL",
                "dropped",
            ),
        ];
        for (rules, key, want) in table {
            let f = fixture(rules);
            let cx = f.cx();
            let (mut slots, mut p) = through_rules(&cx);
            production_out(&cx, &mut slots, &mut p);
            assert_eq!(state_of(&slots, key), *want, "{rules:?}");
        }
    }

    #[test]
    fn moves_place_variables_on_services_or_groups() {
        // (rules, key, on the service, in the group)
        let table: &[(&[&str], &str, bool, bool)] = &[
            (&[], "LOG_LEVEL", true, false),
            (&[], "FEATURE", false, true),
            (&[], "DATABASE_URL", true, false),
            (
                &["{key: LOG_LEVEL, group: shop-shared}"],
                "LOG_LEVEL",
                false,
                true,
            ),
            (&["{key: FEATURE, ungroup: true}"], "FEATURE", true, false),
            (
                &["{key: LOG_LEVEL, drop: noisy}"],
                "LOG_LEVEL",
                false,
                false,
            ),
        ];
        for (rules, key, on_service, in_group) in table {
            let f = fixture(rules);
            let cx = f.cx();
            let (mut slots, mut p) = through_rules(&cx);
            production_out(&cx, &mut slots, &mut p);
            let placed = moves(&cx, &slots, &mut p);
            let service = placed.service_vars.values().any(|v| v.contains_key(*key));
            let group = placed.group_vars.values().any(|v| v.contains_key(*key));
            assert_eq!(
                (service, group),
                (*on_service, *in_group),
                "{rules:?} {key}"
            );
        }
    }

    #[test]
    fn records_name_staging_owners_and_keep_one_record_a_variable() {
        let f = fixture(&["{key: LOG_LEVEL, set: debug}"]);
        let cx = f.cx();
        let (slots, _) = through_rules(&cx);
        let mut changes = Vec::new();
        let (records, _) = records(&cx, &slots, &mut changes);
        assert_eq!(records.len(), slots.len());
        let owners: BTreeSet<&str> = records
            .iter()
            .filter_map(|r| r.staging_owner.as_deref())
            .collect();
        assert_eq!(owners, BTreeSet::from(["shop-shared-stg", "shop-web-stg"]));
        assert!(
            !changes.is_empty(),
            "the set rule is a change from production"
        );
    }
}
