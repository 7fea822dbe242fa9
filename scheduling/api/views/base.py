"""What every API view shares: role permissions, query validation, documented errors."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.views import APIView

from scheduling.api.pagination import Pages
from scheduling.api.permissions import STAFF, ByRole, TokenWithRoles
from scheduling.api.serializers import ConflictSerializer, DetailSerializer, FieldErrorsSerializer


class ClinicView(APIView):
    """Reads for any clinic role; writes for none unless a view says who."""

    authentication_classes = [TokenWithRoles, SessionAuthentication]
    permission_classes = [ByRole]
    read_roles = STAFF
    write_roles: frozenset = frozenset()

    def query(self, serializer_class):
        """Validated query parameters; a bad one is a 400 with its field named, never a 500."""
        # A plain dict, not the QueryDict: DRF reads an empty `?date=` in a QueryDict as "not
        # given" (form leniency), so a malformed value would pass silently instead of a 400.
        serializer = serializer_class(data=self.request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def paginate(self, items, serializer_class, **context):
        paginator = Pages()
        page = paginator.paginate_queryset(items, self.request, view=self)
        data = serializer_class(page, many=True, context={"request": self.request, **context}).data
        return paginator.get_paginated_response(data)


BAD_REQUEST = OpenApiResponse(
    FieldErrorsSerializer, description="Invalid input: `{field: [messages]}`."
)
CONFLICT = OpenApiResponse(ConflictSerializer, description="The chair, nurse or patient is taken.")
NOT_FOUND = OpenApiResponse(DetailSerializer, description="No such object.")
AUTH = {
    401: OpenApiResponse(DetailSerializer, description="Not authenticated."),
    403: OpenApiResponse(DetailSerializer, description="Your role may not do this."),
}


def responses(ok: dict, *, bad=True, conflict=False, not_found=False) -> dict:
    out = dict(ok)
    if bad:
        out[400] = BAD_REQUEST
    if conflict:
        out[409] = CONFLICT
    if not_found:
        out[404] = NOT_FOUND
    out.update(AUTH)
    return out


_PAGED: dict[str, type] = {}


def paged(serializer_class, name: str):
    """Schema of a paginated list of `serializer_class` (APIViews do not get it for free)."""
    if name not in _PAGED:
        _PAGED[name] = type(
            f"Paginated{name}ListSerializer",
            (serializers.Serializer,),
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": serializer_class(many=True),
                "Meta": type("Meta", (), {"ref_name": f"Paginated{name}List"}),
            },
        )
    return _PAGED[name]
