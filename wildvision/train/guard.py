"""The open-set guard: a photo unlike every wildlife photo the model trained on may not be
blocked (and past a further distance not even reviewed).

A classifier must put every photo in one of its labels, so a photo of something it has never
seen — a meme, a landscape, a portrait — can land on ``ivory`` with a high probability. The
guard measures how far the photo lies from the wildlife training photos in the model's own
feature space: the cosine distance from its L2-normalised pooled features (the ``embedding``
output) to the ``k``-th nearest of them (KNN-OOD, Sun et al., ICML 2022). The bank of
wildlife embeddings travels inside the exported graph, which outputs ``guard_distance``, so
Python, the in-graph model and any embedder (Node.js, Java, ...) compute the same number; the
spec's ``guard`` says where the caps lie. Both are fitted at calibration on the run's splits
(``operating_points``); the run keeps the bank (``Run.save_guard_bank``) for export.
"""

from __future__ import annotations

from . import _check  # noqa: F401  (first: the [train] extra's check, before torch)

# isort: split
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from .._progress import progress
from ..spec import Guard


class Embedded(nn.Module):
    """A timm classifier with its pooled features exposed:
    ``x -> (logits, embedding)``, the embedding L2-normalised."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pooled = self.model.forward_head(self.model.forward_features(x), pre_logits=True)
        logits = self.model.get_classifier()(pooled)
        return logits, nn.functional.normalize(pooled, dim=1)


class GuardDistance(nn.Module):
    """Embedding -> cosine distance to the ``k``-th nearest bank row. The bank is rounded to
    half precision (distances move by less than 1e-3) and exported as float32 constants:
    4 bytes a number, 5 MB for 1,000 photos of lite0's 1,280 features."""

    def __init__(self, bank: np.ndarray, k: int) -> None:
        super().__init__()
        if len(bank) < k:
            raise ValueError(f"the guard needs at least k={k} wildlife photos, got {len(bank)}")
        self.register_buffer("bank", torch.from_numpy(np.asarray(bank, dtype=np.float16)))
        self.k = k

    def forward(self, embedding: torch.Tensor) -> torch.Tensor:
        similarity = torch.matmul(embedding, self.bank.float().transpose(0, 1))
        kth = torch.topk(similarity, self.k, dim=1).values[:, self.k - 1]
        return 1.0 - kth


def knn_distance(queries: np.ndarray, bank: np.ndarray, k: int) -> np.ndarray:
    """Cosine distance from each (normalised) query to its ``k``-th nearest bank row, as the
    exported graph computes it (the bank rounded to half precision)."""
    bank = np.asarray(bank, dtype=np.float16).astype(np.float32)
    similarity = np.asarray(queries, dtype=np.float32) @ bank.T
    kth = -np.partition(-similarity, k - 1, axis=1)[:, k - 1]
    return 1.0 - kth


@torch.no_grad()
def embed_loader(
    model: nn.Module, loader: DataLoader, device: torch.device
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Targets, logits and normalised embeddings of every photo in ``loader``."""
    embedded = Embedded(model).eval()
    targets, logits, embeddings = [], [], []
    for images, batch_targets in progress(loader, desc="embedding", unit="batch"):
        batch_logits, batch_embeddings = embedded(images.to(device))
        targets.append(batch_targets.numpy())
        logits.append(batch_logits.float().cpu().numpy())
        embeddings.append(batch_embeddings.float().cpu().numpy())
    if not targets:
        return np.zeros(0, np.int64), np.zeros((0, 0)), np.zeros((0, 0), np.float32)
    return np.concatenate(targets), np.concatenate(logits), np.concatenate(embeddings)


def fit_guard(
    bank: np.ndarray,
    wildlife_val: np.ndarray,
    *,
    k: int = 5,
    block_keep: float = 0.98,
    review_keep: float = 0.995,
) -> Guard:
    """Distances past which blocking (and reviewing) stops, chosen so that ``block_keep``
    (``review_keep``) of the held-out wildlife photos stay inside them.

    Args:
        bank: normalised embeddings of the wildlife training photos.
        wildlife_val: normalised embeddings of held-out wildlife photos (validation).
        k: compare with the k-th nearest bank photo (robust to one odd training photo).
    """
    if not 0 < block_keep <= review_keep <= 1:
        raise ValueError(
            f"need 0 < block_keep <= review_keep <= 1, got {block_keep}, {review_keep}"
        )
    if not len(wildlife_val):
        raise ValueError("the guard needs held-out wildlife photos to fit its distances")
    distances = knn_distance(wildlife_val, bank, k)
    block = float(np.quantile(distances, block_keep, method="higher"))
    review = float(np.quantile(distances, review_keep, method="higher"))
    return Guard(
        k=k,
        block_distance=round(min(block, 2.0), 6),
        review_distance=round(min(max(review, block), 2.0), 6),
        bank_size=len(bank),
    )
