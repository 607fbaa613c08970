from rest_framework import exceptions
from rest_framework.permissions import BasePermission


class HasCustomer(BasePermission):
    """A logged-in customer (a valid Customer-Token) is required."""

    def has_permission(self, request, view):
        if getattr(request.user, "customer", None) is None:
            raise exceptions.NotAuthenticated("Send the customer's token as 'Customer-Token'.")
        return True


class IsRegisteredCustomer(HasCustomer):
    """Guests (checkout-only records) may not do this."""

    message = "Guest customers cannot do this; register an account first."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and not request.user.customer.is_guest
