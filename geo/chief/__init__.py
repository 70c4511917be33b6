"""The forest-chief system (林长制): chiefs, posts and people (:mod:`.chiefs`, :mod:`.people`),
responsibility zones and grids (:mod:`.zones`), public signboards and the one rule of a stale
board (:mod:`.signboards`), chiefs' orders (林长令, :mod:`.orders`); declarations in
:mod:`.layers`, :mod:`.people` and :mod:`.orders_layers`. Uses the engine and the layers below it;
of the other parts only :mod:`geo.change` (named in the import contracts)."""
