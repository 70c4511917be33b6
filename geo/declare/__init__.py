"""What a layer is, as data: fields, statuses, steps, deadlines, figures, operations
(:mod:`.base`), the hooks its rules may define (:mod:`.hooks`), and the registry that collects
every declaration by module name and labels keyed values (:mod:`.registry`). Uses only
:mod:`geo.core`; the declarations themselves live in the packages of the system's parts."""
