# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Each module validates with the argument spec its module_utils declare, and documents exactly those options."""

from __future__ import annotations

import importlib

import pytest
import yaml

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _fetch_log, _fleet_status, _key_store, _phone_profiles
from ansible_collections.sipfleet.provisioning.plugins.modules import fleet_status, key_store, phone_profiles, provisioning_fetches

MODULES = [
    (phone_profiles, _phone_profiles),
    (provisioning_fetches, _fetch_log),
    (key_store, _key_store),
    (fleet_status, _fleet_status),
]


def documented_options(module):
    """The options of ``module``'s DOCUMENTATION with those of the collection's fragments it extends, as ansible-doc shows them."""
    doc = yaml.safe_load(module.DOCUMENTATION)
    options = dict(doc["options"])
    for fragment in doc.get("extends_documentation_fragment") or ():
        collection, dummy, name = fragment.rpartition(".")
        assert collection == "sipfleet.provisioning", fragment
        fragment_doc = importlib.import_module(
            "ansible_collections.sipfleet.provisioning.plugins.doc_fragments." + name).ModuleDocFragment.DOCUMENTATION
        for option, value in (yaml.safe_load(fragment_doc).get("options") or {}).items():
            assert option not in options, "%s is documented twice (module and fragment %s)" % (option, fragment)
            options[option] = value
    return options


def documented(option):
    """What an option's DOCUMENTATION says, in the terms of an argument spec."""
    return dict((name, value) for name, value in (
        ("type", option.get("type", "str")), ("elements", option.get("elements")), ("default", option.get("default")),
        ("required", option.get("required", False)), ("choices", option.get("choices"))) if value is not None)


def declared(spec):
    return dict((name, value) for name, value in (
        ("type", spec.get("type", "str")), ("elements", spec.get("elements")), ("default", spec.get("default")),
        ("required", spec.get("required", False)), ("choices", spec.get("choices"))) if value is not None)


class Validated(Exception):
    pass


@pytest.mark.parametrize("module, logic", MODULES, ids=[module.__name__.rsplit(".", 1)[1] for module, dummy in MODULES])
def test_the_module_uses_the_spec_of_its_logic_and_documents_it(module, logic, monkeypatch):
    given = []

    def recording_module(argument_spec, **kwargs):
        given.append(argument_spec)
        raise Validated()

    monkeypatch.setattr(module, "AnsibleModule", recording_module)
    with pytest.raises(Validated):
        module.main()
    assert given == [logic.ARGUMENT_SPEC] and given[0] is logic.ARGUMENT_SPEC
    options = documented_options(module)
    assert sorted(options) == sorted(logic.ARGUMENT_SPEC)
    for name, spec in logic.ARGUMENT_SPEC.items():
        assert documented(options[name]) == declared(spec), name
