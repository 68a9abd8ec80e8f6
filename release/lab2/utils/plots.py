"""Figures for the notebooks: network diagrams, curves and decision boundaries.

Every function draws into a Matplotlib ``Axes`` (a new figure when none is
given) and returns that ``Axes``, so a notebook can add to it or lay several
plots side by side.  Nothing here computes anything a student must write.
"""
import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "draw_network", "plot_activations", "plot_loss_curve", "plot_two_classes",
    "plot_decision_boundary", "show_images", "plot_confusion_matrix",
]

_CLASS_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple",
                  "tab:brown", "tab:pink", "tab:gray", "tab:olive", "tab:cyan")


def _axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _node_positions(layer_sizes):
    """x, y centres of every neuron, layer by layer, each layer centred."""
    return [[(i, (n - 1) / 2 - j) for j in range(n)]
            for i, n in enumerate(layer_sizes)]


def draw_network(layer_sizes, node_labels=None, layer_labels=None, ax=None,
                 title=None):
    """Draw a fully connected network: one column of circles per layer.

    ``layer_sizes`` counts the neurons per layer, inputs first: ``[4, 2, 2, 1]``
    is the lab's 4-2-2-1 network.  ``node_labels`` (a list of lists of strings)
    names the neurons; ``layer_labels`` (one string per layer) goes under each
    column, for example the activation function.
    """
    ax = _axes(ax, (1.8 * len(layer_sizes) + 1, 0.9 * max(layer_sizes) + 1.2))
    positions = _node_positions(layer_sizes)
    for left, right in zip(positions, positions[1:]):
        for (x0, y0) in left:
            for (x1, y1) in right:
                ax.plot([x0, x1], [y0, y1], color="0.6", lw=1, zorder=1)
    for i, layer in enumerate(positions):
        colour = "tab:green" if i == 0 else (
            "tab:red" if i == len(positions) - 1 else "tab:blue")
        for j, (x, y) in enumerate(layer):
            ax.add_patch(plt.Circle((x, y), 0.22, color=colour, zorder=2))
            if node_labels is not None:
                ax.text(x, y, node_labels[i][j], ha="center", va="center",
                        color="white", fontsize=9, zorder=3)
        if layer_labels is not None:
            low = min(y for _, y in layer)
            ax.text(layer[0][0], low - 0.55, layer_labels[i], ha="center",
                    va="top", fontsize=9)
    ax.set_aspect("equal")
    ax.set_xlim(-0.6, len(layer_sizes) - 0.4)
    ax.set_ylim(-max(layer_sizes) / 2 - 0.6, max(layer_sizes) / 2 + 0.2)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def plot_activations(functions, z=None, ax=None):
    """Plot each activation function of a ``{name: function}`` dictionary."""
    z = np.linspace(-6, 6, 241) if z is None else np.asarray(z)
    ax = _axes(ax, (6, 3.5))
    for name, function in functions.items():
        ax.plot(z, function(z), label=name, lw=2)
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.8)
    ax.set_xlabel("z")
    ax.set_ylabel("activation(z)")
    ax.legend()
    return ax


def plot_loss_curve(losses, ax=None, xlabel="epoch", ylabel="loss", label=None,
                    log=False):
    """Plot a list of losses, one per epoch (or per iteration)."""
    ax = _axes(ax, (6, 3.5))
    ax.plot(np.arange(1, len(losses) + 1), losses, marker="." if len(losses) < 60 else None,
            label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    if label:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax


def plot_two_classes(X, labels, features=(0, 1), ax=None, title=None):
    """Scatter two features of ``X`` (rows are samples), coloured by label."""
    X = np.asarray(X)
    labels = np.asarray(labels).ravel()
    ax = _axes(ax, (4.5, 4))
    for k in np.unique(labels):
        rows = labels == k
        ax.scatter(X[rows, features[0]], X[rows, features[1]], s=12, alpha=0.7,
                   color=_CLASS_COLOURS[int(k) % len(_CLASS_COLOURS)],
                   label=f"class {k}")
    ax.set_xlabel(f"feature {features[0]}")
    ax.set_ylabel(f"feature {features[1]}")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def plot_decision_boundary(predict, X, labels, ax=None, title=None, steps=200):
    """Shade where ``predict`` says class 1 and draw the 0.5 contour.

    ``predict`` maps an ``(n, 2)`` array of points to ``n`` outputs in [0, 1].
    """
    X = np.asarray(X)
    ax = _axes(ax, (4.5, 4))
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0))
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    out = np.asarray(predict(grid), dtype=float).reshape(gx.shape)
    ax.contourf(gx, gy, out, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.3)
    ax.contour(gx, gy, out, levels=[0.5], colors="k", linewidths=1.5)
    plot_two_classes(X, labels, ax=ax, title=title)
    return ax


def show_images(images, labels, predictions=None, shape=(8, 8), columns=10, limit=50):
    """Show small grey images in a grid with their labels (and predictions).

    ``images`` is ``(n, pixels)``; each row is reshaped to ``shape``.  A wrong
    prediction is titled in red.  At most ``limit`` images are drawn (a grid of
    hundreds takes long to draw and says no more); the title then says so.
    """
    images = np.asarray(images)
    total = len(images)
    n = min(total, limit)
    images = images[:n]
    rows = int(np.ceil(n / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.1 * columns, 1.3 * rows),
                             squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if k >= n:
            continue
        ax.imshow(images[k].reshape(shape), cmap="gray_r")
        if predictions is None:
            ax.set_title(str(labels[k]), fontsize=9)
        else:
            wrong = predictions[k] != labels[k]
            ax.set_title(f"{labels[k]}→{predictions[k]}", fontsize=9,
                         color="tab:red" if wrong else "black")
    if total > n:
        fig.suptitle(f"the first {n} of {total} images", fontsize=10)
    fig.tight_layout()
    return axes


def plot_confusion_matrix(labels, predictions, n_classes=None, ax=None, title=None):
    """Draw the confusion matrix of integer class ``labels`` and ``predictions``.

    Row ``i``, column ``j`` counts the samples of true class ``i`` predicted as
    class ``j``: correct predictions lie on the diagonal.  ``n_classes``
    defaults to the largest class seen plus one.
    """
    labels = np.asarray(labels, dtype=int).ravel()
    predictions = np.asarray(predictions, dtype=int).ravel()
    k = int(n_classes or max(labels.max(), predictions.max()) + 1)
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (labels, predictions), 1)
    ax = _axes(ax, (0.5 * k + 1.5, 0.5 * k + 1))
    ax.imshow(counts, cmap="Blues")
    for i, j in zip(*np.nonzero(counts)):
        ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                color="white" if counts[i, j] > counts.max() / 2 else "black")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title:
        ax.set_title(title)
    return ax
