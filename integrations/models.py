"""Integrations' models (none yet).

The module exists so that Django sends ``post_migrate`` for this app too: it is the last
installed app, and ``oms.roles.sync_roles_after_migrate`` gives the role groups their
permissions when the last app's ``post_migrate`` arrives. Django skips apps without a models
module, so without this file a fresh ``migrate`` left the groups without the permissions of
the apps migrated after ``oms`` (orders, marketing).
"""
