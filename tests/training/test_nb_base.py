"""The members' shared sparse maths on hand-made matrices."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from training_helpers import random_binary

import member_lookups
from member_lookups import binary_products
from nb_base import binary, nb_log_ratio, scaled_unit_rows, select_columns


def test_binary_keeps_presence_only():
    counts = sparse.csr_matrix(np.array([[0, 3, 0], [2, 0, 0], [0, 0, 0]], dtype=np.int64))
    result = binary(counts)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result.toarray(), [[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    already = binary(result)
    assert already is result  # hasher output is not copied


def test_select_columns_equals_column_indexing():
    x = random_binary(30, 200, 0.1, seed=3)
    columns = np.sort(np.random.default_rng(0).choice(200, size=40, replace=False))
    np.testing.assert_array_equal(select_columns(x, columns).toarray(), x[:, columns].toarray())


@pytest.mark.parametrize("gather_max_nnz", [0, 50_000])
def test_binary_products_equal_the_sparse_product_with_empty_rows(monkeypatch, gather_max_nnz):
    # Both paths (gather, sparse product), with empty rows first, inside and last.
    monkeypatch.setattr(member_lookups, "GATHER_MAX_NNZ", gather_max_nnz)
    x = random_binary(12, 50, 0.2, seed=5).tolil()
    for row in (0, 5, 11):
        x[row, :] = 0
    x = x.tocsr()
    x.eliminate_zeros()
    table = np.random.default_rng(1).normal(size=(50, 3)).astype(np.float32)
    np.testing.assert_allclose(
        binary_products(x.indptr, x.indices, table), x @ table, rtol=1e-5, atol=1e-6
    )
    one = x[1]
    np.testing.assert_allclose(
        binary_products(one.indptr, one.indices, table), one @ table, rtol=1e-6
    )


def test_scaled_rows_have_the_requested_norm_and_empty_rows_stay_empty():
    x = sparse.csr_matrix(np.array([[1, 1, 0], [0, 0, 0], [0, 1, 1]], dtype=np.float32))
    ratio = nb_log_ratio(np.array([3.0, 1.0, 0.0]), np.array([0.0, 1.0, 3.0]), 1.0)
    assert ratio[0] > 0 > ratio[2]
    assert ratio[1] == pytest.approx(0.0)
    rows = scaled_unit_rows(x, ratio.astype(np.float32), np.float32(0.5))
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms, [0.5, 0.0, 0.5], rtol=1e-6)
