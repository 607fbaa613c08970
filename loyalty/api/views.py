"""Shopper API: the logged-in customer's loyalty cards."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from customers.api.base import PageSerializer, StorefrontView, page_of
from customers.api.permissions import HasCustomer
from loyalty.api.serializers import StorefrontEnrolmentSerializer
from loyalty.selectors import enrolment_list


class CustomerCardListView(StorefrontView):
    permission_classes = [HasCustomer]

    @extend_schema(
        parameters=[PageSerializer],
        responses={200: StorefrontEnrolmentSerializer(many=True)},
        tags=["Loyalty"],
    )
    def get(self, request):
        """The customer's loyalty cards (enrolments), newest first, with their balance and the
        rewards it can buy now."""
        enrolments = page_of(request, enrolment_list(customer=self.customer))
        return Response(StorefrontEnrolmentSerializer(enrolments, many=True).data)
