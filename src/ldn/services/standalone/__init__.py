"""Use cases without a database: the command line's files (patient records, trial folders, the
plan's documents, evidence CSVs), the stateless ``/compute`` routes, and the drawings and PDFs
the pages show. An import-linter contract keeps them away from ``ldn.persistence``; the clinic's
use cases (``ldn.services.clinic``) may call them."""
