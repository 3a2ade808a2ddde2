"""Strategy editor page: every scenario parameter as a widget, validated live; save, download, upload."""

from __future__ import annotations

import streamlit as st

from dashboard import editor, state, ui
from dashboard import editor_layout as layout
from dashboard.display import error_text
from dashboard.i18n import current, param_label, t
from dashboard.panels import diff as diff_panel
from dashboard.text import plain
from sim import ScenarioError

ss = st.session_state
lib = state.library()
if ss.get("ed.base") not in lib:
    state.set_choice("ed.base", "content_led" if "content_led" in lib else next(iter(lib)))
if "ed.n_shocks" not in ss:
    editor.load_into_state(ss, lib[ss["ed.base"]])


def _load_base() -> None:
    editor.load_into_state(ss, state.library()[ss["ed.base"]])


def _save() -> str | None:
    values, shocks = editor.values_from_state(ss, state.library()[ss["ed.base"]])
    try:
        scn = editor.build(values, shocks, phases=editor.phases_from_state(ss, values))
    except ScenarioError as err:
        ss["ed.flash"] = ("error", plain(error_text(err, current())))
        return None
    name = state.add_scenario(scn, "edited")
    state.set_choice("ed.base", name)
    ss[editor.widget_key("name")] = name
    ss["ed.flash"] = ("success", t("ed.saved", name=plain(name)))
    return name


def _run_it() -> None:
    """Save the draft if it differs from its base, put it in the comparison, go to Compare."""
    lib = state.library()
    values, shocks = editor.values_from_state(ss, lib[ss["ed.base"]])
    base_values, base_shocks = editor.flatten(lib[ss["ed.base"]])
    same = (values == base_values and shocks == base_shocks
            and editor.phases_from_state(ss, values) == editor.flatten_phases(lib[ss["ed.base"]]))
    name = ss["ed.base"] if same else _save()
    if name is None:
        return
    chosen = [n for n in ss.get("cmp.scenarios", []) if n != name]
    state.set_choice("cmp.scenarios", [*chosen[-5:], name])
    ss["ed.goto_compare"] = True


if ss.pop("ed.goto_compare", False):
    st.switch_page("views/compare.py")


st.title(t("ed.title"))
st.caption(t("ed.intro"))

# ---- where to start: a library scenario or an upload -----------------------------------------
c_base, c_upload = st.columns([1, 1])
with c_upload:  # handled first: a good upload becomes the base before the picker is drawn
    # Streamlit's own drop-zone text ("Drag and drop", "Limit 1MB per file") is English only:
    # hidden, with the limit said in the page's language instead
    st.html("<style>[data-testid='stFileUploaderDropzoneInstructions']{display:none;}</style>")
    upload = st.file_uploader(t("ed.upload"), type=["yaml", "yml"], key="ed.upload", max_upload_size=1,
                              help=t("ed.upload_hint"))
    if upload is not None and ss.get("ed.upload_seen") != upload.file_id:
        ss["ed.upload_seen"] = upload.file_id
        try:
            scn = editor.read_upload(upload.name, upload.getvalue())
        except ScenarioError as err:
            ss["ed.upload_msg"] = ("error", str(err))  # English; shown in the page's language
        else:
            name = state.add_scenario(scn, "uploaded")
            state.set_choice("ed.base", name)
            editor.load_into_state(ss, state.library()[name])
            ss["ed.upload_msg"] = ("success", t("ed.upload_ok", name=plain(name), file=plain(upload.name)))
    upload_error = None
    if upload is not None and ss.get("ed.upload_msg"):
        kind, msg = ss["ed.upload_msg"]
        if kind == "error":
            upload_error = plain(error_text(msg, current()))
            st.error(upload_error, icon="⚠️")
        else:
            st.success(msg)
with c_base:
    lib = state.library()
    ui.choice(st.selectbox, t("ed.base"), list(lib), key="ed.base", on_change=_load_base,
              text=ui.scenario_label, persist_state="session")
base = lib[ss["ed.base"]]

# ---- what is on screen: status, what differs, actions --------------------------------------------
values, shocks = editor.values_from_state(ss, base)
phases = editor.phases_from_state(ss, values)
base_phases = editor.flatten_phases(base)
errors, general = editor.field_errors(values, shocks, phases)
base_values, base_shocks = editor.flatten(base)
specs = editor.field_specs()
by_path = {s.path: s for s in specs}
diffs = layout.differences(base_values, values, specs, base_shocks, shocks)
diffs += layout.phase_differences(base_phases, phases)
changed = {d.path for d in diffs}
scenario = None
build_error = None
try:
    scenario = editor.build(values, shocks, phases=phases)
except ScenarioError as err:
    build_error = plain(error_text(err, current()))
kind, line = layout.status(t, error=build_error, n_changed=len(diffs), base=ss["ed.base"],
                           upload_error=upload_error)
{"error": st.error, "info": st.info, "success": st.success}[kind](line)
flash = ss.pop("ed.flash", None)
if flash:
    (st.error if flash[0] == "error" else st.success)(flash[1])

with st.container(border=True):
    st.markdown(f"**{t('ed.diff.title', base=ss['ed.base'])}**")
    if not diffs:
        st.caption(t("ed.diff.none", base=ss["ed.base"]))
    else:
        never, yes, no = t("ed.never"), t("ed.yes"), t("ed.no")
        items = []
        for d in diffs:
            if d.path == "shocks":
                items.append(f"- {t('ed.diff.shocks', old=d.old, new=d.new)}")
                continue
            if d.section == "phases":
                items.append(f"- {layout.phase_difference_text(d, t, param_label, by_path, never, yes, no)}")
                continue
            spec = by_path.get(d.path)
            old = layout.value_text(d.old, spec, never, yes, no)
            new = layout.value_text(d.new, spec, never, yes, no)
            label = param_label(spec.name) if spec else d.path
            items.append(f"- **{label}** ({t('sec.' + d.section)}): {old} → {new}")
        st.markdown("\n".join(items))
    c_save, c_run, c_dl, _ = st.columns([1, 1, 1, 1.5])
    c_save.button(t("ed.save"), key="ed.save_btn", type="primary", on_click=_save, disabled=scenario is None,
                  icon=":material/save:")
    c_run.button(t("ed.run"), key="ed.run_btn", on_click=_run_it, disabled=scenario is None,
                 help=t("ed.run_help"), icon=":material/play_arrow:")
    if scenario is not None:
        c_dl.download_button(t("ed.download"), data=scenario.to_yaml(), file_name=f"{scenario.name}.yaml",
                             mime="application/x-yaml", key="ed.yaml_dl", icon=":material/download:",
                             on_click="ignore")

# ---- the parameters, section by section (sections and fields with changes first) -------------------
for section, in_section in layout.ordered_sections(specs, changed):
    touched = any(s.path in changed or s.path in errors for s in in_section)
    n_changed = sum(s.path in changed for s in in_section)
    title = t("sec." + section) + (f" · {n_changed} •" if n_changed else "")
    with st.expander(title, expanded=touched or (section in ("general", "strategy") and not changed)):
        groups: dict[str | None, list[editor.FieldSpec]] = {}
        for spec in in_section:
            groups.setdefault(spec.group, []).append(spec)
        for group, members in groups.items():
            if group:
                st.markdown(f"**{t('hook.' + group)}**")
            cols = st.columns(3)
            for i, spec in enumerate(members):
                with cols[i % 3]:
                    ui.field_widget(spec, editor.widget_key(spec.path), errors.get(spec.path),
                                    changed=spec.path in changed)

with st.expander(t("ed.shocks"), expanded=bool(shocks) or any(k.startswith("shocks.") for k in errors)):
    if not shocks:
        st.caption(t("ed.no_shocks"))
    for i in range(len(shocks)):
        with st.container(border=True):
            st.markdown(f"**{t('ed.shock_n', i=i + 1)}**")
            cols = st.columns(5)
            for j, spec in enumerate(editor.shock_specs()):
                with cols[j]:
                    ui.field_widget(spec, editor.shock_key(i, spec.name), errors.get(f"shocks.{i}.{spec.name}"))
            cols[4].button(t("ed.shock_remove", i=i + 1), key=f"ed.shock_remove_btn.{i}",
                           on_click=editor.remove_shock, args=(ss, i), icon=":material/delete:")
    st.button(t("ed.shock_add"), key="ed.shock_add_btn", on_click=editor.add_shock, args=(ss,),
              icon=":material/add:", disabled=len(shocks) >= 20)

# ---- plan phases (DOMAIN §7 stages): from each phase's first day, its strategy changes apply ---------
with st.expander(t("phase.title"), expanded=bool(phases) or any(k.startswith("phases.") for k in errors)):
    st.caption(t("phase.intro"))
    if not phases:
        st.caption(t("phase.none"))
    own = {s.name: s for s in editor.phase_specs()}
    by_rel = {s.path.removeprefix("strategy."): s for s in editor.phase_field_options()}

    def _field_name(rel: str) -> str:
        spec = by_rel[rel]
        return param_label(spec.name) + (f" · {t('hook.' + spec.group)}" if spec.group else "")

    for i, phase in enumerate(phases):
        with st.container(border=True):
            st.markdown(f"**{t('phase.n', i=i + 1)}**")
            c_day, c_label, c_fields = st.columns([1, 1, 2])
            with c_day:
                ui.field_widget(own["from_day"], editor.phase_key(i, "from_day"), errors.get(f"phases.{i}.from_day"))
            with c_label:
                ui.field_widget(own["label"], editor.phase_key(i, "label"), errors.get(f"phases.{i}.label"))
            with c_fields:
                st.multiselect(t("phase.fields"), list(by_rel), key=editor.phase_key(i, "fields"),
                               format_func=_field_name, help=t("phase.fields_help"))
            if not phase["strategy"]:
                st.caption(t("phase.no_fields"))
            cols = st.columns(3)
            for j, (rel, value) in enumerate(phase["strategy"].items()):
                key = editor.phase_value_key(i, rel)
                ss.setdefault(key, value)
                with cols[j % 3]:
                    ui.field_widget(by_rel[rel], key, errors.get(f"phases.{i}.strategy.{rel}"))
            st.button(t("phase.remove", i=i + 1), key=f"ed.phase_remove_btn.{i}", on_click=editor.remove_phase,
                      args=(ss, i), icon=":material/delete:")
    st.button(t("phase.add"), key="ed.phase_add_btn", on_click=editor.add_phase,
              args=(ss, int(values.get("horizon_days") or 365)), icon=":material/add:", disabled=len(phases) >= 20)

if scenario is not None:
    with st.expander(t("ed.yaml")):
        st.code(scenario.to_yaml(), language="yaml")

# ---- differences from any other scenario of the library ----------------------------------------
diff_panel.render(scenario, state.library(), ss["ed.base"])  # diff against any library scenario
