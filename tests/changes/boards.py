"""The boards tests make: a site's CAB and emergency CAB are support groups named on the approval rules."""

from changes.services.cab import cab_boards_assign

from ..factories import SupportGroupFactory


def make_board(name: str, members, *, emergency: bool = False):
    """A board of `members`, named on the approval rules it decides (normal above low risk, or every
    emergency)."""
    board = SupportGroupFactory(name=name, members=list(members))
    cab_boards_assign(**{"ecab" if emergency else "cab": board})
    return board
