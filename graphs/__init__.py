"""Structure of generative models: DAGs (with plates), exact parameter counts, independencies,
drawings.

``graphs`` never imports JAX, NumPyro or ArviZ, so it loads fast. Drawing (matplotlib) and
pgmpy interop load on first use. :mod:`graphs.files` (writing files whole, checking output
folders) is public but kept out of this namespace: it is about files, not structure.
"""

from typing import TYPE_CHECKING

from .counting import (
    dense_count,
    full_joint_count,
    full_joint_formula,
    log10,
    logistic_count,
    made_count,
    made_masks,
    masked_count,
    param_count,
)
from .dag import DAG, ROLES, Plate, Variable
from .errors import GraphError
from .families import (
    autoregressive,
    independent,
    latent_class,
    markov_chain,
    markov_grid,
    naive_bayes,
)
from .independence import (
    PairwiseMatrix,
    Statement,
    is_d_separated,
    local_markov,
    markov_blanket,
    markov_blankets,
    minimal_separator,
    pairwise_matrix,
    reachable,
)
from .independence import summary as independence_summary
from .plates import unroll

if TYPE_CHECKING:  # the checker sees the lazy names' signatures; nothing loads at run time
    from .draw import draw_dag as draw_dag
    from .draw import draw_pairwise as draw_pairwise
    from .draw import figure_bytes as figure_bytes
    from .draw import layout as layout
    from .draw import save_figure as save_figure
    from .interop import from_bif as from_bif
    from .interop import from_pgmpy as from_pgmpy
    from .interop import load_network as load_network
    from .interop import network_names as network_names
    from .interop import to_bif as to_bif
    from .interop import to_pgmpy as to_pgmpy

_LAZY = {
    "draw_dag": "draw",
    "draw_pairwise": "draw",
    "layout": "draw",
    "figure_bytes": "draw",
    "save_figure": "draw",
    "from_pgmpy": "interop",
    "to_pgmpy": "interop",
    "from_bif": "interop",
    "to_bif": "interop",
    "load_network": "interop",
    "network_names": "interop",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'graphs' has no attribute {name!r}")


__all__ = [
    "DAG",
    "ROLES",
    "GraphError",
    "PairwiseMatrix",
    "Plate",
    "Statement",
    "Variable",
    "autoregressive",
    "dense_count",
    "full_joint_count",
    "full_joint_formula",
    "independence_summary",
    "independent",
    "is_d_separated",
    "latent_class",
    "local_markov",
    "log10",
    "logistic_count",
    "made_count",
    "made_masks",
    "markov_blanket",
    "markov_blankets",
    "markov_chain",
    "markov_grid",
    "masked_count",
    "minimal_separator",
    "naive_bayes",
    "pairwise_matrix",
    "param_count",
    "reachable",
    "unroll",
    *_LAZY,
]
