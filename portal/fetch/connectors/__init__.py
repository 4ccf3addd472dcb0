"""Connectors: one module per kind of remote interface, chosen by `source.fetch.connector`
(as pygeoapi chooses a provider by name). Each turns the remote answers into the files the
manifest's `source.path` names, in a retrieval folder (portal/fetch/store.py)."""

from portal.fetch.connectors.http import HttpFiles
from portal.fetch.connectors.luchtmeetnet import Luchtmeetnet
from portal.fetch.connectors.ogcapi import OgcApiFeatures

CONNECTORS = {"http": HttpFiles, "luchtmeetnet": Luchtmeetnet, "ogcapi": OgcApiFeatures}
