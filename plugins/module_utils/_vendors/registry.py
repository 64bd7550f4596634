# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The vendor registry: the one list of vendor packages.

A vendor family is a package ``_vendors/<family>/`` with a ``renderer.py``
that defines ``RENDERER`` (a :class:`~.base.VendorRenderer`) and a
``description.py`` that defines ``DESCRIPTION`` (a
:class:`~.description.VendorDescription`). Adding one means writing that
package and adding its two modules to :data:`_PACKAGES`; see
``docs/development/adding-a-vendor.md``.
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.cisco_mpp import (
    description as cisco_mpp_description,
    renderer as cisco_mpp_renderer,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.cisco_spa import (
    description as cisco_spa_description,
    renderer as cisco_spa_renderer,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.fanvil import (
    description as fanvil_description,
    renderer as fanvil_renderer,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream import (
    description as grandstream_description,
    renderer as grandstream_renderer,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.panasonic import (
    description as panasonic_description,
    renderer as panasonic_renderer,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.poly import (
    description as poly_description,
    renderer as poly_renderer,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.snom import (
    description as snom_description,
    renderer as snom_renderer,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.yealink import (
    description as yealink_description,
    renderer as yealink_renderer,
)

#: (renderer module, description module) of every vendor family, in the order docs list them.
_PACKAGES = (
    (grandstream_renderer, grandstream_description),
    (cisco_spa_renderer, cisco_spa_description),
    (cisco_mpp_renderer, cisco_mpp_description),
    (panasonic_renderer, panasonic_description),
    (yealink_renderer, yealink_description),
    (poly_renderer, poly_description),
    (snom_renderer, snom_description),
    (fanvil_renderer, fanvil_description),
)

#: ``{vendor name: renderer}``.
VENDORS = dict((renderer.RENDERER.name, renderer.RENDERER) for renderer, dummy in _PACKAGES)

#: ``{vendor name: description}``, in the same order.
DESCRIPTIONS = dict((description.DESCRIPTION.name, description.DESCRIPTION) for dummy, description in _PACKAGES)


def vendor_for_model(model):
    """The name of the vendor that knows ``model`` (canonical upper case), or ``None``."""
    for renderer in VENDORS.values():
        if renderer.model_info(model) is not None:
            return renderer.name
    return None


def renderer_for(device):
    """The renderer of ``device``'s vendor; an error naming the field when the vendor is unknown."""
    renderer = VENDORS.get(device.vendor)
    if renderer is None:
        raise device.error("unknown vendor %r; known vendors: %s" % (device.vendor, ", ".join(sorted(VENDORS))), field="vendor")
    return renderer


def description_for(vendor):
    """The :class:`~.description.VendorDescription` of ``vendor``, or ``None`` for an unknown name."""
    return DESCRIPTIONS.get(vendor)


def vendor_facts():
    """``{vendor name: facts}`` of every registered family, as plain data (see ``VendorDescription.facts``)."""
    return dict((name, description.facts()) for name, description in DESCRIPTIONS.items())
