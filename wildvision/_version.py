"""The library's version: the one source pyproject.toml (hatch's dynamic version), the
package's ``__version__`` and the model card read.

This is the version of the *library* (the code). A *model* has its own version, in its spec
(``Classifier().spec.version``, the ``model_version`` of every result row): the shipped model
can stay at an older version while the library moves on, and a retrained model gets a new one
while the library stays.
"""

__version__ = "0.4.0"
