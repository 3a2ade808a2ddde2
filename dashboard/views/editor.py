"""Strategy editor page: every scenario parameter as a widget, validated live; save, download, upload."""

from __future__ import annotations

import streamlit as st

from dashboard import editor, state, ui
from dashboard.i18n import t
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


def _save() -> None:
    values, shocks = editor.values_from_state(ss, state.library()[ss["ed.base"]])
    try:
        scn = editor.build(values, shocks)
    except ScenarioError as err:
        ss["ed.flash"] = ("error", plain(err))
        return
    name = state.add_scenario(scn, "edited")
    state.set_choice("ed.base", name)
    ss[editor.widget_key("name")] = name
    ss["ed.flash"] = ("success", t("ed.saved", name=plain(name)))


st.title(t("ed.title"))
st.caption(t("ed.intro"))

# ---- where to start: a library scenario or an upload -----------------------------------------
c_base, c_upload = st.columns([1, 1])
with c_upload:  # handled first: a good upload becomes the base before the picker is drawn
    upload = st.file_uploader(t("ed.upload"), type=["yaml", "yml"], key="ed.upload", max_upload_size=1)
    if upload is not None and ss.get("ed.upload_seen") != upload.file_id:
        ss["ed.upload_seen"] = upload.file_id
        try:
            scn = editor.read_upload(upload.name, upload.getvalue())
        except ScenarioError as err:
            ss["ed.upload_msg"] = ("error", plain(err))
        else:
            name = state.add_scenario(scn, "uploaded")
            state.set_choice("ed.base", name)
            editor.load_into_state(ss, state.library()[name])
            ss["ed.upload_msg"] = ("success", t("ed.upload_ok", name=plain(name), file=plain(upload.name)))
    if upload is not None and ss.get("ed.upload_msg"):
        kind, msg = ss["ed.upload_msg"]
        (st.error if kind == "error" else st.success)(msg)
with c_base:
    lib = state.library()
    ui.choice(st.selectbox, t("ed.base"), list(lib), key="ed.base", on_change=_load_base,
              text=ui.scenario_label, persist_state="session")
base = lib[ss["ed.base"]]

# ---- the parameters, section by section --------------------------------------------------------
values, shocks = editor.values_from_state(ss, base)
errors, general = editor.field_errors(values, shocks)
base_values, base_shocks = editor.flatten(base)
specs = editor.field_specs()
for section in editor.SECTIONS:
    in_section = [s for s in specs if s.section == section]
    with st.expander(t("sec." + section), expanded=section in ("general", "strategy")
                     or any(s.path in errors for s in in_section)):
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
                                    changed=values[spec.path] != base_values.get(spec.path))

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

# ---- validity, save, download -----------------------------------------------------------------
scenario = None
try:
    scenario = editor.build(values, shocks)
except ScenarioError as err:
    st.error(t("ed.invalid", err=plain(err)), icon="⚠️")
else:
    st.success(t("ed.valid", n=len(editor.changed_paths(base, scenario)), base=ss["ed.base"]))
flash = ss.pop("ed.flash", None)
if flash:
    (st.error if flash[0] == "error" else st.success)(flash[1])
c_save, c_dl, _ = st.columns([1, 1, 2])
c_save.button(t("ed.save"), key="ed.save_btn", type="primary", on_click=_save, disabled=scenario is None,
              icon=":material/save:")
if scenario is not None:
    c_dl.download_button(t("ed.download"), data=scenario.to_yaml(), file_name=f"{scenario.name}.yaml",
                         mime="application/x-yaml", key="ed.yaml_dl", icon=":material/download:",
                         on_click="ignore")
    with st.expander(t("ed.yaml")):
        st.code(scenario.to_yaml(), language="yaml")
