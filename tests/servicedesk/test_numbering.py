import threading

import pytest
from django.db import connection, transaction

from servicedesk.models import NumberSequence
from servicedesk.services.numbering import number_allocate
from tests.kernelkind.models import Chore
from tests.kernelkind.services import chore_create

from ..factories import UserFactory

THREADS = 8
CREATES_PER_THREAD = 10


def test_numbers_follow_each_other_from_one(db):
    assert number_allocate(prefix="TST") == ["TST0000001"]
    assert number_allocate(prefix="TST") == ["TST0000002"]
    assert number_allocate(prefix="OTH") == ["OTH0000001"]


def test_a_block_of_numbers_is_contiguous(db):
    number_allocate(prefix="TST")
    assert number_allocate(prefix="TST", count=3) == ["TST0000002", "TST0000003", "TST0000004"]
    assert number_allocate(prefix="TST") == ["TST0000005"]
    assert NumberSequence.objects.get(prefix="TST").last_value == 5


@pytest.mark.parametrize("count", [0, -1])
def test_count_below_one_is_refused(db, count):
    with pytest.raises(ValueError, match="at least 1"):
        number_allocate(prefix="TST", count=count)


def test_a_rolled_back_allocation_gives_its_number_back(db):
    number_allocate(prefix="TST")
    allocated = []

    def allocate_then_fail():
        with transaction.atomic():
            allocated.extend(number_allocate(prefix="TST", count=2))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        allocate_then_fail()
    assert allocated == ["TST0000002", "TST0000003"]
    assert number_allocate(prefix="TST") == ["TST0000002"]


def test_numbers_are_zero_padded_and_grow_past_the_padding(db):
    NumberSequence.objects.create(prefix="TST", last_value=9_999_999)
    assert number_allocate(prefix="TST") == ["TST10000000"]


@pytest.mark.django_db(transaction=True)
def test_allocation_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        number_allocate(prefix="TST")
    assert not NumberSequence.objects.filter(prefix="TST", last_value__gt=0).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_get_gapless_unique_numbers():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent row locks need PostgreSQL; SQLite serialises whole-database writes")
    requester = UserFactory(username="caller", roles=["Requester"])
    barrier = threading.Barrier(THREADS)
    numbers, errors = [], []
    lock = threading.Lock()

    def file_records():
        try:
            barrier.wait()
            for i in range(CREATES_PER_THREAD):
                record = chore_create(actor=requester, title=f"Mail down {i}")
                with lock:
                    numbers.append(record.number)
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=file_records) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    total = THREADS * CREATES_PER_THREAD
    assert errors == []
    assert len(numbers) == total
    assert sorted(numbers) == [f"TST{value:07d}" for value in range(1, total + 1)]
    assert Chore.objects.count() == total
    assert Chore.objects.values("number").distinct().count() == total
    assert NumberSequence.objects.get(prefix="TST").last_value == total
